import { ProtocolError } from '@app/protocol';
import type { VideoJob } from './video-job.js';
import type { VideoStatusSink, VideoStatusUpdate } from './video-status-sink.js';

/**
 * What became of an update: `stored` in the sink, `refused` by it (stale: the log's answer is final, e.g.
 * the job ended or is not the workspace's), `held` (progress-only within the interval: a later one
 * replaces it), or `dropped` (not stored: the job was forgotten, the throttle closed, or the attempts
 * asked for ran out).
 */
export type RecordResult = 'stored' | 'refused' | 'held' | 'dropped';

interface JobSlot {
  lastSentAt: number;
  lastStatus: string | undefined;
  pending: { job: VideoJob; update: VideoStatusUpdate } | undefined;
  timer: NodeJS.Timeout | undefined;
  /** Every record of this job, in order. */
  chain: Promise<RecordResult>;
  /** Set when the job is forgotten: its retries stop. */
  gone: boolean;
}

export interface StatusThrottleOptions {
  sink: VideoStatusSink;
  /** At most one progress-only update per job per this many ms (VIDEO_STATUS_INTERVAL_MS). */
  intervalMs: number;
  /** Called on each failed attempt (the update is tried again) and on a refusal. */
  onError: (error: unknown, job: VideoJob) => void;
  /** First wait before trying a failed update again (doubling up to `retryMaxMs`). Default 50 ms. */
  retryMs?: number | undefined;
  /** Longest wait between two attempts. Default 5 s. */
  retryMaxMs?: number | undefined;
  /** A rejection that is the sink's final answer (never retried). Default: a ProtocolError CONFLICT or NOT_FOUND. */
  isRefusal?: ((error: unknown) => boolean) | undefined;
  now?: () => number;
}

/** The write path refuses a stale status with CONFLICT (job ended) or NOT_FOUND (not the workspace's job). */
export function isStatusRefusal(error: unknown): boolean {
  return error instanceof ProtocolError && (error.code === 'CONFLICT' || error.code === 'NOT_FOUND');
}

/**
 * Progress without floods, and no status lost: a change of status, and the final status, always pass at
 * once; updates that only move progress pass at most once per `intervalMs` per job, the latest one
 * winning. Every update sent is tried again (backoff) until the sink stores or refuses it, in order per
 * job: a later update waits for the earlier ones.
 */
export class StatusThrottle {
  private readonly slots = new Map<string, JobSlot>();
  private readonly now: () => number;
  private closed = false;
  private readonly wakeups = new Set<() => void>();

  constructor(private readonly options: StatusThrottleOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Resolves once this update was stored or refused by the sink (or held back: progress-only within the
   * interval). `attempts` bounds the tries (default: until stored, refused, forgotten or closed).
   */
  record(job: VideoJob, update: VideoStatusUpdate, attempts = Infinity): Promise<RecordResult> {
    let slot = this.slots.get(job.id);
    if (slot === undefined) {
      slot = {
        lastSentAt: -Infinity,
        lastStatus: undefined,
        pending: undefined,
        timer: undefined,
        chain: Promise.resolve('stored'),
        gone: false,
      };
      this.slots.set(job.id, slot);
    }
    const final = update.status === 'succeeded' || update.status === 'failed' || update.status === 'cancelled';
    const changed = update.status !== slot.lastStatus;
    const due = this.now() - slot.lastSentAt >= this.options.intervalMs;
    if (changed || final || due) {
      clearTimeout(slot.timer);
      slot.timer = undefined;
      slot.pending = undefined;
      return this.send(slot, job, update, final, attempts);
    }
    slot.pending = { job, update };
    if (slot.timer === undefined) {
      const current = slot;
      current.timer = setTimeout(
        () => {
          current.timer = undefined;
          const pending = current.pending;
          current.pending = undefined;
          if (pending !== undefined) void this.send(current, pending.job, pending.update, false, Infinity);
        },
        Math.max(0, slot.lastSentAt + this.options.intervalMs - this.now()),
      );
      current.timer.unref();
    }
    return Promise.resolve('held');
  }

  private send(
    slot: JobSlot,
    job: VideoJob,
    update: VideoStatusUpdate,
    final: boolean,
    attempts: number,
  ): Promise<RecordResult> {
    slot.lastSentAt = this.now();
    slot.lastStatus = update.status;
    slot.chain = slot.chain.then(() => this.deliver(slot, job, update, attempts));
    const sent = slot.chain;
    if (final) {
      void sent.then(() => {
        if (this.slots.get(job.id) === slot && slot.pending === undefined) this.slots.delete(job.id);
      });
    }
    return sent;
  }

  private async deliver(
    slot: JobSlot,
    job: VideoJob,
    update: VideoStatusUpdate,
    attempts: number,
  ): Promise<RecordResult> {
    const isRefusal = this.options.isRefusal ?? isStatusRefusal;
    for (let attempt = 1; ; attempt += 1) {
      if (this.closed || slot.gone) return 'dropped';
      try {
        await this.options.sink.record(job, update);
        return 'stored';
      } catch (error) {
        this.options.onError(error, job);
        if (isRefusal(error)) return 'refused';
        if (attempt >= attempts) return 'dropped';
      }
      const base = this.options.retryMs ?? 50;
      await this.pause(Math.min(this.options.retryMaxMs ?? 5_000, base * 2 ** Math.min(attempt - 1, 20)));
    }
  }

  /** Waits `ms`, or less when the throttle closes. */
  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeups.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeups.add(done);
    });
  }

  /** Forgets a job this node no longer polls (another node took it): its retries stop. */
  forget(jobId: string): void {
    const slot = this.slots.get(jobId);
    if (slot !== undefined) {
      clearTimeout(slot.timer);
      slot.gone = true;
    }
    this.slots.delete(jobId);
  }

  /** Waits for every update in flight (its retries stop) and drops held ones (stopping). */
  async close(): Promise<void> {
    this.closed = true;
    for (const wake of [...this.wakeups]) wake();
    const chains = [...this.slots.values()].map((slot) => {
      clearTimeout(slot.timer);
      return slot.chain;
    });
    this.slots.clear();
    await Promise.all(chains);
  }
}
