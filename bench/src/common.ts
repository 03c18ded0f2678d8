// Shared by the driver, the load generator and the baseline servers: clock, histogram, /proc readers.
import { readFileSync, writeFileSync } from 'node:fs';

/** Which server a load generator talks to: ours and the raw ws baseline share the JSON protocol. */
export type ServerKind = 'raw' | 'sio' | 'ours';

export const SERVER_LABELS: Record<ServerKind, string> = { raw: 'raw ws', sio: 'Socket.IO', ours: 'ours' };

/**
 * Milliseconds on CLOCK_MONOTONIC. It is system-wide, so a timestamp taken in the publisher's
 * process can be subtracted from one taken in a receiver's process (sub-microsecond resolution).
 */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Log-bucketed histogram of milliseconds (about 1% relative precision, 1 µs to 10 min), small
 * enough to send over IPC and merge across processes. Exact count, sum, min and max.
 */
export class Histogram {
  static readonly RATIO = 1.01;
  static readonly MIN_MS = 0.001;
  static readonly BUCKETS = 2100;
  private static readonly LOG_RATIO = Math.log(Histogram.RATIO);

  counts = new Map<number, number>();
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;

  record(ms: number): void {
    if (!Number.isFinite(ms)) return;
    const index =
      ms <= Histogram.MIN_MS
        ? 0
        : Math.min(Histogram.BUCKETS - 1, Math.ceil(Math.log(ms / Histogram.MIN_MS) / Histogram.LOG_RATIO));
    this.counts.set(index, (this.counts.get(index) ?? 0) + 1);
    this.count += 1;
    this.sum += ms;
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
  }

  merge(other: HistogramJson): void {
    for (const [index, n] of other.counts) this.counts.set(index, (this.counts.get(index) ?? 0) + n);
    this.count += other.count;
    this.sum += other.sum;
    if (other.count > 0) {
      this.min = Math.min(this.min, other.min);
      this.max = Math.max(this.max, other.max);
    }
  }

  /** Upper bound of the bucket holding the q-quantile (clamped to the exact max). */
  quantile(q: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (const index of [...this.counts.keys()].sort((a, b) => a - b)) {
      seen += this.counts.get(index)!;
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, Histogram.MIN_MS * Histogram.RATIO ** index));
    }
    return this.max;
  }

  summary(): LatencySummary {
    return {
      count: this.count,
      p50: this.quantile(0.5),
      p99: this.quantile(0.99),
      max: this.count === 0 ? null : this.max,
      mean: this.count === 0 ? null : this.sum / this.count,
    };
  }

  toJSON(): HistogramJson {
    return { counts: [...this.counts.entries()], count: this.count, sum: this.sum, min: this.min, max: this.max };
  }
}

export interface HistogramJson {
  counts: [number, number][];
  count: number;
  sum: number;
  min: number;
  max: number;
}

export interface LatencySummary {
  count: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

/** Exact quantile of a list of samples (nearest rank). */
export function exactQuantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function exactSummary(samples: number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: exactQuantile(sorted, 0.5),
    p99: exactQuantile(sorted, 0.99),
    max: sorted.length === 0 ? null : sorted[sorted.length - 1]!,
    mean: sorted.length === 0 ? null : sorted.reduce((a, b) => a + b, 0) / sorted.length,
  };
}

/** A small seeded generator (mulberry32), so the same samples always give the same interval. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * How precisely one run measures quantile(a) / quantile(b) of paired samples (a[i] and b[i] taken
 * in the same round, one right after the other): the central `confidence` interval of that ratio
 * over `resamples` moving-block bootstrap resamples of the rounds. Rounds are drawn in blocks of
 * `blockRounds` consecutive ones, because machine noise comes in bursts spanning many rounds.
 * Null with fewer than 10 blocks of rounds.
 */
export function pairedQuantileRatioInterval(
  a: number[],
  b: number[],
  q: number,
  {
    blockRounds = 250,
    resamples = 1_000,
    confidence = 0.9,
  }: { blockRounds?: number; resamples?: number; confidence?: number } = {},
): [number, number] | null {
  const rounds = Math.min(a.length, b.length);
  const blocks = Math.floor(rounds / blockRounds);
  if (blocks < 10) return null;
  const random = seededRandom(rounds);
  const sampleA = new Float64Array(blocks * blockRounds);
  const sampleB = new Float64Array(blocks * blockRounds);
  const rank = Math.min(sampleA.length - 1, Math.max(0, Math.ceil(q * sampleA.length) - 1));
  const ratios: number[] = [];
  for (let r = 0; r < resamples; r += 1) {
    for (let block = 0; block < blocks; block += 1) {
      const from = Math.floor(random() * (rounds - blockRounds + 1));
      sampleA.set(a.slice(from, from + blockRounds), block * blockRounds);
      sampleB.set(b.slice(from, from + blockRounds), block * blockRounds);
    }
    sampleA.sort();
    sampleB.sort();
    ratios.push(sampleA[rank]! / sampleB[rank]!);
  }
  ratios.sort((x, y) => x - y);
  const tail = (1 - confidence) / 2;
  return [
    ratios[Math.floor(tail * resamples)]!,
    ratios[Math.min(resamples - 1, Math.ceil((1 - tail) * resamples) - 1)]!,
  ];
}

/** Waits (at most `maxMs`) until every process used under 10 % of a core over one `sampleMs` window. */
export async function waitIdle(pids: number[], sampleMs: number, maxMs: number): Promise<void> {
  const deadline = nowMs() + maxMs;
  while (nowMs() < deadline) {
    const before = pids.map((p) => processCpuMs(p) ?? 0);
    await sleep(sampleMs);
    const busy = pids.map((p, i) => ((processCpuMs(p) ?? 0) - before[i]!) / sampleMs);
    if (busy.every((share) => share < 0.1)) return;
  }
}

const CLOCK_TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux (USER_HZ), fixed at 100 on every mainstream kernel.

/** CPU time (user + system) of a process in milliseconds, from /proc/<pid>/stat; null when gone. */
export function processCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime is field 14, stime field 15.
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** VmRSS and VmHWM (peak RSS) of a process in KiB, from /proc/<pid>/status. */
export function processMemoryKiB(pid: number): { rss: number; peak: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: field('VmRSS'), peak: field('VmHWM') };
  } catch {
    return null;
  }
}

/** Resets VmHWM to the current RSS (Linux clear_refs "5"), so each scenario reports its own peak. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * Event data the load generator puts in every update: `sentAt` (nowMs at send) gives send-to-receive
 * latency, `updateNo` (the update's index) lets a receiver match the event with its update's ack.
 */
export const SENT_AT_KEY = Buffer.from('"sentAt":');
export const UPDATE_NO_KEY = Buffer.from('"updateNo":');

/** Reads the number after `key` in a frame without parsing the JSON; NaN when absent. */
export function extractNumber(frame: Buffer, key: Buffer): number {
  const at = frame.indexOf(key);
  if (at < 0) return NaN;
  const start = at + key.length;
  let end = start;
  while (end < frame.length) {
    const c = frame[end]!;
    // digits, '.', '-', '+', 'e', 'E'
    if ((c >= 48 && c <= 57) || c === 46 || c === 45 || c === 43 || c === 101 || c === 69) end += 1;
    else break;
  }
  return end === start ? NaN : Number(frame.toString('latin1', start, end));
}

/** Busy and total CPU time of the whole machine in milliseconds (all CPUs), from /proc/stat. */
export function machineCpuMs(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const fields = line.trim().split(/\s+/).slice(1, 9).map(Number); // user nice system idle iowait irq softirq steal
    const idle = fields[3]! + fields[4]!;
    const total = fields.reduce((sum, value) => sum + value, 0);
    return { busy: ((total - idle) * 1000) / CLOCK_TICKS_PER_SECOND, total: (total * 1000) / CLOCK_TICKS_PER_SECOND };
  } catch {
    return null;
  }
}
