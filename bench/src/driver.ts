// `pnpm bench`: starts the database, forks the load generator processes, then for each server
// (raw ws baseline, Socket.IO baseline, ours) starts it as its own process, runs every scenario
// against it, and stops it. Prints a table per scenario with a row per server and the ratios to
// both baselines, checks the issue's targets (reported, never asserted), and saves the results as
// JSON under bench/results/. Timings are never asserted: the exit code only reflects crashes.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  Histogram,
  SERVER_LABELS,
  machineCpuMs,
  nowMs,
  processCpuMs,
  exactSummary,
  pairedQuantileRatioInterval,
  processMemoryKiB,
  resetPeakRss,
  sleep,
  waitIdle,
  type HistogramJson,
  type LatencySummary,
  type ServerKind,
} from './common.js';
import type { BareWriteResult, ConnectResult, PingRounds, PublishResult, ReceiverStats } from './loadgen.js';
import { scaleProjectId, scaleWorkspaceId, type LatencyResult, type SeedResult, type StormResult } from './scale.js';
import type { ResumeResult } from './resume.js';
import { SCENARIOS, parseOptions, type Options, type Scenario } from './options.js';
import { BENCH_DIR, LoadWorker, ROOT, startServer, type ServerHandle } from './processes.js';
import { bundleLines, measureBundles } from './bundle-size.js';
import { measureVideoJobs, videoJobLines } from './video-jobs.js';
import { printReport, type ConnectionStep, type Results, type ScalePhase, type ServerResult } from './report.js';

interface EmbeddedDb {
  uri: string;
  kind: string;
  pid?: number;
  stop(): Promise<void>;
}
interface EmbeddedDbModule {
  startDatabase(options: { dataDir?: string }): Promise<EmbeddedDb>;
  freePort(): Promise<number>;
}

const options: Options = parseOptions(process.argv.slice(2), process.env);
const runStarted = nowMs();
const runId = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
const embedded = (await import(pathToFileURL(join(ROOT, 'scripts', 'embedded-db.mjs')).href)) as EmbeddedDbModule;

function log(line: string): void {
  const elapsed = ((nowMs() - runStarted) / 1000).toFixed(1).padStart(6);
  process.stdout.write(`[bench ${elapsed}s] ${line}\n`);
}

function machine(): Results['machine'] {
  let kernel = '';
  try {
    kernel = execFileSync('uname', ['-sr'], { encoding: 'utf8' }).trim();
  } catch {
    // not essential
  }
  let memTotalKiB = Math.round(totalmem() / 1024);
  try {
    memTotalKiB = Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? memTotalKiB);
  } catch {
    // not Linux
  }
  return {
    nproc: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memTotalMiB: Math.round(memTotalKiB / 1024),
    node: process.version,
    kernel,
    loadAvgAtStart: loadavg().map((value) => Number(value.toFixed(2))),
  };
}

/** The code measured: commit and how many files differ from it (read-only git). */
function gitState(): Results['git'] {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.trim() !== '');
    return { commit, changedFiles: dirty.length };
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Processes the run owns, stopped on exit and on SIGINT/SIGTERM.
const needsDb =
  options.servers.includes('ours') ||
  options.scenarios.includes('mutations') ||
  options.scenarios.includes('scale') ||
  options.scenarios.includes('video');
let db: EmbeddedDb | undefined;
let dataDir: string | undefined;
let server: ServerHandle | undefined;
/** Servers of the interleaved ping scenario (all at once). */
const pingServers = new Set<ServerHandle>();
const receivers: LoadWorker[] = [];
let control: LoadWorker | undefined;
const dbName = `bench_${runId.replace(/-/g, '_')}`;
/** Every database this run wrote to (dropped at the end when the server is external, i.e. MONGODB_URI). */
const usedDbNames = new Set<string>([dbName]);

let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await server?.stop().catch(() => {});
    await Promise.all([...pingServers].map((handle) => handle.stop().catch(() => {})));
    if (db !== undefined && control !== undefined && process.env['BENCH_KEEP_DB'] !== '1' && db.kind === 'external') {
      for (const name of usedDbNames)
        await control.call({ cmd: 'dropDatabase', uri: db.uri, dbName: name }).catch(() => {});
    }
    await Promise.all([...receivers, ...(control ? [control] : [])].map((worker) => worker.stop().catch(() => {})));
    await db?.stop().catch(() => {});
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping`);
    void cleanup().then(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// Helpers over the workers.

function split(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

async function connectSpread(
  url: string,
  kind: ServerKind,
  count: number,
  projectId: string | undefined,
  timeoutMs: number,
): Promise<ConnectResult> {
  const shares = split(count, receivers.length);
  const results = await Promise.all(
    receivers.map((worker, i) =>
      shares[i]! === 0
        ? Promise.resolve<ConnectResult>({ opened: 0, failed: 0, subscribed: 0, ms: 0 })
        : worker.call<ConnectResult>({
            cmd: 'connect',
            url,
            kind,
            count: shares[i]!,
            projectId,
            concurrency: options.connectConcurrency,
            timeoutMs,
          }),
    ),
  );
  const merged: ConnectResult = { opened: 0, failed: 0, subscribed: 0, ms: 0 };
  for (const result of results) {
    merged.opened += result.opened;
    merged.failed += result.failed;
    merged.subscribed += result.subscribed;
    merged.ms = Math.max(merged.ms, result.ms);
    if (result.firstError !== undefined) merged.firstError ??= result.firstError;
  }
  return merged;
}

const closeReceivers = (): Promise<unknown> => Promise.all(receivers.map((worker) => worker.call({ cmd: 'closeAll' })));
const resetReceivers = (): Promise<unknown> => Promise.all(receivers.map((worker) => worker.call({ cmd: 'reset' })));

/** Polls the receivers until `expected` events arrived, progress stalls for `stallMs`, or the deadline passes. */
async function waitDelivered(expected: number, deadline: number, stallMs = 10_000): Promise<void> {
  let last = -1;
  let lastProgress = nowMs();
  while (nowMs() < deadline) {
    const counts = await Promise.all(receivers.map((worker) => worker.call<{ received: number }>({ cmd: 'count' })));
    const total = counts.reduce((sum, c) => sum + c.received, 0);
    if (total >= expected) return;
    if (total !== last) {
      last = total;
      lastProgress = nowMs();
    } else if (nowMs() - lastProgress > stallMs) {
      return;
    }
    await sleep(50);
  }
}

interface MergedStats {
  delivered: number;
  closedUnexpectedly: number;
  lastRecvAt: number | null;
  latency: LatencySummary;
}

async function receiverStats(): Promise<MergedStats> {
  const all = await Promise.all(receivers.map((worker) => worker.call<ReceiverStats>({ cmd: 'stats' })));
  const hist = new Histogram();
  const merged: MergedStats = { delivered: 0, closedUnexpectedly: 0, lastRecvAt: null, latency: hist.summary() };
  for (const stats of all) {
    hist.merge(stats.hist);
    merged.delivered += stats.received;
    merged.closedUnexpectedly += stats.closedUnexpectedly;
    if (stats.lastRecvAt !== null) merged.lastRecvAt = Math.max(merged.lastRecvAt ?? 0, stats.lastRecvAt);
  }
  merged.latency = hist.summary();
  return merged;
}

/** CPU and memory accounting of the server (and the database, for ours) around a measured phase. */
function meter(pid: number): {
  stop(): {
    cpuMs: number;
    dbCpuMs: number | null;
    loadgenCpuMs: number;
    /** CPU time of the whole machine (all CPUs) over the phase: what is left after server, database and generator is other work. */
    machineBusyMs: number | null;
    wallMs: number;
    peakRssKiB: number;
    rssKiB: number;
  };
} {
  resetPeakRss(pid);
  const started = nowMs();
  const cpu0 = processCpuMs(pid) ?? 0;
  const dbPid = server?.kind === 'ours' ? db?.pid : undefined;
  const db0 = dbPid === undefined ? null : processCpuMs(dbPid);
  const generators = [...receivers, ...(control ? [control] : [])].map((worker) => worker.pid);
  const loadgenCpu = (): number => generators.reduce((sum, workerPid) => sum + (processCpuMs(workerPid) ?? 0), 0);
  const loadgen0 = loadgenCpu();
  const machine0 = machineCpuMs();
  return {
    stop() {
      const cpu1 = processCpuMs(pid) ?? cpu0;
      const db1 = dbPid === undefined ? null : processCpuMs(dbPid);
      const memory = processMemoryKiB(pid);
      return {
        cpuMs: cpu1 - cpu0,
        dbCpuMs: db0 === null || db1 === null ? null : db1 - db0,
        loadgenCpuMs: loadgenCpu() - loadgen0,
        machineBusyMs: ((machine1) => (machine0 === null || machine1 === null ? null : machine1.busy - machine0.busy))(
          machineCpuMs(),
        ),
        wallMs: nowMs() - started,
        peakRssKiB: memory?.peak ?? NaN,
        rssKiB: memory?.rss ?? NaN,
      };
    },
  };
}

/**
 * Waits (at most `maxMs`) until the server and the database are idle, so work left over from one
 * scenario (requests still queued after a time bound) does not leak into the next.
 */
async function settle(pid: number, maxMs = options.quick ? 5_000 : 30_000): Promise<void> {
  const pids = [pid, ...(server?.kind === 'ours' && db?.pid !== undefined ? [db.pid] : [])];
  await waitIdle(pids, options.quick ? 250 : 500, maxMs);
}

async function gcServer(pid: number): Promise<void> {
  const pause = options.quick ? 150 : 400;
  process.kill(pid, 'SIGUSR2');
  await sleep(pause);
  process.kill(pid, 'SIGUSR2');
  await sleep(pause);
}

function perSecond(count: number, fromMs: number | null, toMs: number | null): number | null {
  if (fromMs === null || toMs === null || toMs <= fromMs || count === 0) return null;
  return (count * 1000) / (toMs - fromMs);
}

// ---------------------------------------------------------------------------------------------
// Scenarios. Each is bounded by options.scenarioTimeoutSec and returns plain JSON.

const scenarioMs = (): number => options.scenarioTimeoutSec * 1000;

async function idleMemory(handle: ServerHandle): Promise<NonNullable<Results['servers'][string]['idle']>> {
  // Warm-up: load every connection code path once.
  await connectSpread(handle.url, handle.kind, Math.min(100, options.idleConnections), undefined, scenarioMs());
  await closeReceivers();
  await gcServer(handle.pid);
  await sleep(options.quick ? 200 : 500);
  const before = processMemoryKiB(handle.pid)!.rss;
  resetPeakRss(handle.pid);
  const connected = await connectSpread(handle.url, handle.kind, options.idleConnections, undefined, scenarioMs());
  await sleep(options.quick ? 500 : 2_000);
  await gcServer(handle.pid);
  await sleep(options.quick ? 200 : 500);
  const after = processMemoryKiB(handle.pid)!;
  await closeReceivers();
  return {
    connections: connected.opened,
    failed: connected.failed,
    firstError: connected.firstError ?? null,
    connectMs: connected.ms,
    rssBeforeKiB: before,
    rssAfterKiB: after.rss,
    peakRssKiB: after.peak,
    kibPerConnection: connected.opened > 0 ? (after.rss - before) / connected.opened : null,
  };
}

/**
 * Ping round trips of every server, interleaved ping by ping (loadgen `pingInterleaved`): all
 * servers run at once, one connection each, and every round pings each of them once, so a burst of
 * other work on the machine slows every server's round trips alike.
 */
async function pingInterleaved(entries: Record<string, ServerResult>): Promise<void> {
  const handles = new Map<ServerKind, ServerHandle>();
  try {
    for (const kind of options.servers) {
      const port = await embedded.freePort();
      log(`${SERVER_LABELS[kind]}: starting on 127.0.0.1:${port} for the ping round trips`);
      const profile = options.profile
        ? { dir: join(BENCH_DIR, 'results', 'profiles', runId), name: `${kind}-ping` }
        : undefined;
      if (kind === 'ours') usedDbNames.add(`${dbName}_ping`);
      const handle = await startServer(kind, { port, mongodbUri: db?.uri, dbName: `${dbName}_ping`, profile });
      handles.set(kind, handle);
      pingServers.add(handle);
    }
    // As many warm-up rounds as measured ones: from a fresh start, ours' p50 settles to its
    // long-run value only after a few thousand requests (its JIT has more code to optimize than raw
    // ws'), and a server in production has long been past that.
    const warmup = options.pings;
    log(`ping: ${warmup} warm-up and ${options.pings} measured rounds, each one ping to every server`);
    // Before the measured rounds, everything that could still be busy from earlier work must be idle:
    // the servers, the database (after the bare writes it may still be checkpointing), the receivers.
    const quietPids = [
      ...[...handles.values()].map((handle) => handle.pid),
      ...receivers.map((worker) => worker.pid),
      ...(db?.pid === undefined ? [] : [db.pid]),
    ];
    const rounds = await control!.call<PingRounds>({
      cmd: 'ping',
      servers: [...handles.values()].map((handle) => ({ url: handle.url, kind: handle.kind, cpuPid: handle.pid })),
      count: options.pings,
      warmup,
      quietPids,
      timeoutMs: scenarioMs(),
    });
    const raw = rounds.servers.find((server) => server.kind === 'raw');
    for (const { kind, cpuMs, samples } of rounds.servers) {
      const memory = processMemoryKiB(handles.get(kind)!.pid);
      const roundTripMs = samples.reduce((a, b) => a + b, 0);
      entries[kind]!.ping = {
        count: samples.length,
        timedOut: rounds.timedOut || samples.length < options.pings,
        perSec: roundTripMs > 0 ? (samples.length * 1000) / roundTripMs : null,
        rtt: exactSummary(samples),
        p99VsRawInterval:
          raw === undefined || kind === 'raw' ? null : pairedQuantileRatioInterval(samples, raw.samples, 0.99),
        cpuUsPerPing: samples.length > 0 && cpuMs !== null ? (cpuMs * 1000) / samples.length : null,
        peakRssKiB: memory?.peak ?? NaN,
      };
      log(`  ${SERVER_LABELS[kind]}${summaryLine(entries[kind]!, 'ping')}`);
    }
  } finally {
    for (const handle of handles.values()) {
      await handle.stop();
      pingServers.delete(handle);
    }
  }
}

/** Has the control process create `workspaces` workspaces in a fresh project of the server; returns their ids. */
async function prepare(
  handle: ServerHandle,
  projectId: string,
  workspaces: number,
  timeoutMs: number,
): Promise<string[]> {
  const { workspaceIds } = await control!.call<{ workspaceIds: string[] }>({
    cmd: 'prepare',
    url: handle.url,
    kind: handle.kind,
    projectId,
    workspaces,
    timeoutMs,
  });
  return workspaceIds;
}

/** Has the control process send `count` updates to the server (see loadgen `publish`); payload size from the options. */
function publish(
  handle: ServerHandle,
  workspaceIds: string[],
  until: number,
  run: { count: number; inFlight: number; connections: number; ratePerSec?: number; returnAckTimes?: boolean },
): Promise<PublishResult> {
  return control!.call<PublishResult>({
    cmd: 'publish',
    url: handle.url,
    kind: handle.kind,
    workspaceIds,
    payloadBytes: options.payloadBytes,
    timeoutMs: Math.max(1_000, until - nowMs()),
    ...run,
  });
}

async function fanOut(handle: ServerHandle): Promise<NonNullable<Results['servers'][string]['fanout']>> {
  const deadline = nowMs() + scenarioMs();
  const projectId = `fanout-${handle.kind}-${runId}`;
  const workspaceIds = await prepare(handle, projectId, 1, 30_000);
  const connected = await connectSpread(handle.url, handle.kind, options.fanoutSubscribers, projectId, scenarioMs());
  await resetReceivers();
  await sleep(200);
  const m = meter(handle.pid);
  const published = await publish(handle, workspaceIds, deadline, {
    count: options.fanoutUpdates,
    inFlight: options.fanoutInFlight,
    connections: 1,
  });
  const expected = connected.subscribed * published.acked;
  await waitDelivered(expected, deadline);
  const usage = m.stop();
  const stats = await receiverStats();
  await closeReceivers();
  return {
    subscribers: connected.subscribed,
    connectFailed: connected.failed,
    firstError: connected.firstError ?? published.firstError ?? null,
    updatesSent: published.sent,
    updatesAcked: published.acked,
    updateErrors: published.errors,
    expected,
    delivered: stats.delivered,
    complete: stats.delivered === expected && expected > 0,
    closedUnexpectedly: stats.closedUnexpectedly,
    timedOut: published.timedOut || nowMs() >= deadline,
    durationMs:
      stats.lastRecvAt !== null && published.firstSendAt !== null ? stats.lastRecvAt - published.firstSendAt : null,
    eventsPerSec: perSecond(stats.delivered, published.firstSendAt, stats.lastRecvAt),
    updatesPerSec: perSecond(published.acked, published.firstSendAt, published.lastAckAt),
    latency: stats.latency,
    ackLatency: published.ack,
    cpuMs: usage.cpuMs,
    cpuUsPerEvent: stats.delivered > 0 ? (usage.cpuMs * 1000) / stats.delivered : null,
    dbCpuMs: usage.dbCpuMs,
    loadgenCpuMs: usage.loadgenCpuMs,
    machineBusyMs: usage.machineBusyMs,
    wallMs: usage.wallMs,
    peakRssKiB: usage.peakRssKiB,
  };
}

async function durableMutations(handle: ServerHandle): Promise<NonNullable<Results['servers'][string]['mutations']>> {
  const deadline = nowMs() + scenarioMs();
  const projectId = `mutations-${runId}`;
  const workspaceIds = await prepare(handle, projectId, Math.max(1, options.mutationWorkspaces), 60_000);
  const m = meter(handle.pid);
  const published = await publish(handle, workspaceIds, deadline, {
    count: options.mutations,
    inFlight: options.mutationInFlight,
    connections: options.mutationConnections,
  });
  const usage = m.stop();
  return {
    sent: published.sent,
    acked: published.acked,
    errors: published.errors,
    firstError: published.firstError ?? null,
    timedOut: published.timedOut,
    ackedPerSec: perSecond(published.acked, published.firstSendAt, published.lastAckAt),
    ackLatency: published.ack,
    cpuUsPerMutation: published.acked > 0 ? (usage.cpuMs * 1000) / published.acked : null,
    dbCpuUsPerMutation:
      usage.dbCpuMs === null || published.acked === 0 ? null : (usage.dbCpuMs * 1000) / published.acked,
    peakRssKiB: usage.peakRssKiB,
  };
}

async function connectionSteps(handle: ServerHandle): Promise<NonNullable<Results['servers'][string]['connections']>> {
  const deadline = nowMs() + scenarioMs();
  const projectId = `connections-${handle.kind}-${runId}`;
  const workspaceIds = await prepare(handle, projectId, 1, 30_000);
  const steps: ConnectionStep[] = [];
  let subscribed = 0;
  let maxPassed = 0;
  let stopReason = 'all steps passed';
  resetPeakRss(handle.pid);
  for (const target of options.connectionSteps) {
    if (nowMs() >= deadline) {
      stopReason = 'scenario time bound reached';
      break;
    }
    const added = await connectSpread(
      handle.url,
      handle.kind,
      target - subscribed,
      projectId,
      Math.max(1_000, deadline - nowMs()),
    );
    subscribed += added.subscribed;
    if (subscribed < target) {
      const why = added.firstError ?? `scenario time bound (${options.scenarioTimeoutSec} s) reached while subscribing`;
      steps.push({ target, subscribed, passed: false, reason: `only ${subscribed} of ${target} subscribed: ${why}` });
      stopReason = `only ${subscribed} of ${target} subscribed: ${why}`;
      break;
    }
    if (options.connectionWarmupUpdates > 0) {
      // Unmeasured updates first: the connect burst's garbage and cold code paths should not decide the step.
      await resetReceivers();
      const warm = await publish(handle, workspaceIds, Math.min(deadline, nowMs() + 60_000), {
        count: options.connectionWarmupUpdates,
        inFlight: 1,
        ratePerSec: options.connectionRate,
        connections: 1,
      });
      await waitDelivered(subscribed * warm.acked, Math.min(deadline, nowMs() + 30_000), 5_000);
    }
    await Promise.all(receivers.map((worker) => worker.call({ cmd: 'reset', detail: true })));
    const m = meter(handle.pid);
    const stepDeadline = Math.min(
      deadline,
      nowMs() + 60_000 + (options.connectionUpdates / Math.max(0.1, options.connectionRate)) * 1000,
    );
    const published = await publish(handle, workspaceIds, stepDeadline, {
      count: options.connectionUpdates,
      inFlight: 1,
      ratePerSec: options.connectionRate,
      connections: 1,
      returnAckTimes: true,
    });
    const expected = subscribed * published.acked;
    await waitDelivered(expected, stepDeadline, 5_000);
    const usage = m.stop();
    const stats = await receiverStats();
    const fanoutHist = new Histogram();
    for (const part of await Promise.all(
      receivers.map((worker) => worker.call<HistogramJson>({ cmd: 'ackRelative', ackAt: published.ackAt ?? [] })),
    )) {
      fanoutHist.merge(part);
    }
    const fanoutLatency = fanoutHist.summary();
    const p99 = options.connectionLatency === 'fanout' ? fanoutLatency.p99 : stats.latency.p99;
    const complete = stats.delivered === expected && published.acked === options.connectionUpdates;
    const passed = complete && stats.closedUnexpectedly === 0 && p99 !== null && p99 < options.connectionP99Ms;
    const reason = passed
      ? 'ok'
      : !complete
        ? `delivered ${stats.delivered}/${expected}, acked ${published.acked}/${options.connectionUpdates}`
        : stats.closedUnexpectedly > 0
          ? `${stats.closedUnexpectedly} connections closed`
          : `p99 (${options.connectionLatency}) ${p99?.toFixed(1)} ms >= ${options.connectionP99Ms} ms`;
    steps.push({
      target,
      subscribed,
      passed,
      reason,
      delivered: stats.delivered,
      expected,
      latency: stats.latency,
      fanoutLatency,
      ackLatency: published.ack,
      cpuUsPerEvent: stats.delivered > 0 ? (usage.cpuMs * 1000) / stats.delivered : null,
      rssKiB: usage.rssKiB,
      publisherMaxLagMs: published.maxLagMs,
    });
    if (!passed) {
      stopReason = `failed at ${target}: ${reason}`;
      break;
    }
    maxPassed = subscribed;
  }
  const memory = processMemoryKiB(handle.pid);
  await closeReceivers();
  return { maxPassed, stopReason, steps, peakRssKiB: memory?.peak ?? NaN };
}

/**
 * Whether reads and writes slow down as the database grows: the same requests to the same projects on
 * two databases seeded through the driver by the control process, one holding only those projects
 * and one that also holds every other seeded project (500,000 events in all at full size), each
 * served by a fresh server process, both running at once. Request latencies are interleaved request
 * by request across the two (other work on the machine then slows both alike); the durable mutation
 * rate is measured on each in turn, twice, in the order A B B A; then a subscribe storm on each (many
 * clients subscribing at once to one project not loaded yet, against the time the same connections
 * took to get their hello).
 */
async function scale(): Promise<NonNullable<ServerResult['scale']>> {
  if (db === undefined) throw new Error('scale needs the database');
  const uri = db.uri;
  const measured = Math.max(1, Math.min(options.scaleMeasuredProjects, options.scaleProjects - 1));
  const stormProject = scaleProjectId(measured); // never requested before the storm
  const projects = Array.from({ length: measured }, (_, p) => ({
    projectId: scaleProjectId(p),
    workspaceIds: Array.from({ length: options.scaleWorkspacesPerProject }, (_, w) =>
      scaleWorkspaceId(scaleProjectId(p), w),
    ),
  }));
  const phaseNames = ['empty', 'seeded'] as const;
  const phases = phaseNames.map((phase) => ({
    phase,
    name: `${dbName}_scale_${phase}`,
    count: phase === 'empty' ? measured + 1 : Math.max(options.scaleProjects, measured + 1),
  }));
  const seeded: SeedResult[] = [];
  for (const { phase, name, count } of phases) {
    usedDbNames.add(name);
    log(`scale (${phase}): seeding ${count} projects x ${options.scaleEventsPerProject} events through the driver`);
    const result = await control!.call<SeedResult>({
      cmd: 'seed',
      uri,
      dbName: name,
      first: 0,
      count,
      eventsPerProject: options.scaleEventsPerProject,
      workspacesPerProject: options.scaleWorkspacesPerProject,
      payloadBytes: Math.max(options.payloadBytes, 200),
      timeoutMs: 3 * 3_600_000,
    });
    log(`  seeded ${result.events} events in ${(result.ms / 1000).toFixed(1)} s`);
    seeded.push(result);
  }
  const handles: ServerHandle[] = [];
  const startMs: number[] = [];
  try {
    for (const { name } of phases) {
      const port = await embedded.freePort();
      const started = nowMs();
      const handle = await startServer('ours', { port, mongodbUri: uri, dbName: name });
      pingServers.add(handle); // stopped by cleanup() on a signal
      handles.push(handle);
      startMs.push(nowMs() - started);
    }
    log(`  servers started in ${startMs.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(' and ')}`);
    await waitIdle(
      [...handles.map((handle) => handle.pid), ...(db.pid === undefined ? [] : [db.pid])],
      options.quick ? 250 : 500,
      options.quick ? 5_000 : 60_000,
    );
    const latency = await control!.call<LatencyResult[]>({
      cmd: 'latencies',
      targets: handles.map((handle) => ({ url: handle.url, projects })),
      samples: options.scaleSamples,
      timeoutMs: scenarioMs(),
    });
    const mutations = handles.map(() => ({ acked: 0, errors: 0, firstError: null as string | null, ms: 0 }));
    for (const i of [0, 1, 1, 0]) {
      const published = await publish(handles[i]!, projects[0]!.workspaceIds, nowMs() + scenarioMs(), {
        count: Math.ceil(options.scaleMutations / 2),
        inFlight: options.mutationInFlight,
        connections: options.mutationConnections,
      });
      const m = mutations[i]!;
      m.acked += published.acked;
      m.errors += published.errors;
      m.firstError ??= published.firstError ?? null;
      if (published.firstSendAt !== null && published.lastAckAt !== null)
        m.ms += published.lastAckAt - published.firstSendAt;
    }
    const storms: StormResult[] = [];
    for (const handle of handles) {
      await waitIdle(
        [handle.pid, ...(db.pid === undefined ? [] : [db.pid])],
        options.quick ? 250 : 500,
        options.quick ? 5_000 : 30_000,
      );
      storms.push(
        await control!.call<StormResult>({
          cmd: 'storm',
          url: handle.url,
          clients: options.stormClients,
          projectId: stormProject,
          timeoutMs: scenarioMs(),
        }),
      );
    }
    const result = phases.map((phase, i): ScalePhase => {
      const l = latency[i]!;
      const m = mutations[i]!;
      const storm = storms[i]!;
      log(
        `  ${phase.phase}: subscribe p50/p99 ${l.subscribe.p50?.toFixed(2)}/${l.subscribe.p99?.toFixed(2)} ms, list ${l.list.p50?.toFixed(2)}/${l.list.p99?.toFixed(2)} ms, ` +
          `update ${l.update.p50?.toFixed(2)}/${l.update.p99?.toFixed(2)} ms; mutations ${m.ms > 0 ? ((m.acked * 1000) / m.ms).toFixed(0) : '-'}/s; ` +
          `storm ${storm.helloMs?.toFixed(0)} ms to every hello, ${storm.subscribeMs?.toFixed(0)} ms to every subscribe ack`,
      );
      return {
        projects: phase.count,
        events: seeded[i]!.events,
        seedMs: seeded[i]!.ms,
        serverStartMs: startMs[i]!,
        latency: l,
        mutations: {
          acked: m.acked,
          errors: m.errors,
          firstError: m.firstError,
          perSec: m.ms > 0 ? (m.acked * 1000) / m.ms : null,
        },
        storm,
        peakRssKiB: processMemoryKiB(handles[i]!.pid)?.peak ?? NaN,
      };
    });
    return { measuredProjects: measured, empty: result[0]!, seeded: result[1]! };
  } finally {
    for (const handle of handles) {
      await handle.stop();
      pingServers.delete(handle);
    }
  }
}

/**
 * Resume storm: many subscribed clients over a few projects drop at once, miss the same number of
 * events per project, and come back at once. Ours is restarted in between (SIGTERM, then a new
 * process on the same port and database) and the clients resume with `sinceSeq`; Socket.IO runs with
 * connection state recovery and is not restarted (its missed packets live in its memory: the best it
 * can do). Reported: the time from the reconnect until every client held every missed event once,
 * lost and duplicated events, the server's peak RSS, and the ack latency of a writer updating another
 * project meanwhile.
 */
async function resume(kind: ServerKind): Promise<NonNullable<ServerResult['resume']>> {
  const port = await embedded.freePort();
  const name = `${dbName}_resume`;
  if (kind === 'ours') usedDbNames.add(name);
  const start = (): Promise<ServerHandle> =>
    startServer(kind, {
      port,
      mongodbUri: db?.uri,
      dbName: name,
      env: kind === 'sio' ? { SIO_RECOVERY_MS: '300000' } : undefined,
    });
  server = await start();
  try {
    const projects = Array.from({ length: options.resumeProjects }, (_, i) => `resume-${kind}-${runId}-${i}`);
    const workspaceIds: string[] = [];
    for (const projectId of projects) workspaceIds.push(...(await prepare(server, projectId, 1, 60_000)));
    const writerIds = await prepare(server, `resume-writer-${kind}-${runId}`, 1, 60_000);
    const shares = split(options.resumeClients, receivers.length);
    const opened = await Promise.all(
      receivers.map((worker, i) =>
        worker.call<{ opened: number; failed: number; firstError: string | null }>({
          cmd: 'resumeOpen',
          url: server!.url,
          kind,
          projects,
          count: shares[i]!,
          concurrency: options.connectConcurrency,
          timeoutMs: scenarioMs(),
        }),
      ),
    );
    const openFailed = opened.reduce((sum, part) => sum + part.failed, 0);
    if (openFailed > 0)
      throw new Error(
        `${openFailed} clients could not subscribe: ${opened.find((part) => part.firstError !== null)?.firstError}`,
      );
    // One event each before the drop: a client resumes from what it last received (Socket.IO's
    // recovery needs the offset of a received packet; the official client sends none without one).
    await publish(server, workspaceIds, nowMs() + scenarioMs(), {
      count: projects.length,
      inFlight: 1,
      connections: 1,
    });
    const held = await Promise.all(
      receivers.map((worker) =>
        worker.call<{ holding: number; clients: number }>({ cmd: 'resumeWait', seq: 2, timeoutMs: 30_000 }),
      ),
    );
    if (held.some((part) => part.holding < part.clients))
      throw new Error('not every client received the event before the drop');
    await Promise.all(receivers.map((worker) => worker.call({ cmd: 'resumeDrop' })));
    const missed = await publish(server, workspaceIds, nowMs() + scenarioMs(), {
      count: options.resumeMissed * projects.length,
      inFlight: 32,
      connections: 1,
    });
    if (missed.acked !== options.resumeMissed * projects.length)
      throw new Error(`only ${missed.acked} of the missed updates were acked: ${missed.firstError}`);
    const restarted = kind === 'ours';
    if (restarted) {
      await server.stop();
      server = await start();
    }
    const m = meter(server.pid);
    const startedAt = nowMs();
    const writer = publish(server, writerIds, startedAt + scenarioMs(), {
      count: options.resumeWriterUpdates,
      inFlight: 1,
      ratePerSec: 50,
      connections: 1,
    });
    const parts = await Promise.all(
      receivers.map((worker) =>
        worker.call<ResumeResult>({
          cmd: 'resumeReconnect',
          url: server!.url,
          missed: options.resumeMissed,
          startedAt,
          concurrency: options.connectConcurrency,
          timeoutMs: scenarioMs(),
        }),
      ),
    );
    const written = await writer;
    const usage = m.stop();
    await Promise.all(receivers.map((worker) => worker.call({ cmd: 'resumeClose' })));
    const sum = (pick: (part: ResumeResult) => number): number => parts.reduce((total, part) => total + pick(part), 0);
    const complete = sum((part) => part.complete);
    return {
      clients: sum((part) => part.clients),
      projects: projects.length,
      missedPerClient: options.resumeMissed,
      restarted,
      complete,
      lost: sum((part) => part.lost),
      duplicated: sum((part) => part.duplicated),
      notResumed: sum((part) => part.notResumed),
      failed: sum((part) => part.failed),
      firstError: parts.find((part) => part.firstError !== null)?.firstError ?? null,
      recoverMs: complete === options.resumeClients ? Math.max(...parts.map((part) => part.lastCompleteMs ?? 0)) : null,
      writerAcked: written.acked,
      writerErrors: written.errors,
      writerAck: written.ack,
      cpuMs: usage.cpuMs,
      peakRssKiB: usage.peakRssKiB,
    };
  } finally {
    await server.stop();
    server = undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// The run.

const results: Results = {
  runId,
  startedAt: new Date().toISOString(),
  quick: options.quick,
  command: `pnpm bench ${process.argv.slice(2).join(' ')}`.trim(),
  options,
  machine: machine(),
  git: gitState(),
  redisUrlSet: process.env['REDIS_URL'] !== undefined && process.env['REDIS_URL'] !== '',
  database: null,
  bare: null,
  servers: {},
  durationSec: 0,
};

try {
  log(
    `machine: ${results.machine.nproc} CPUs (${results.machine.cpuModel}), ${results.machine.memTotalMiB} MiB, node ${results.machine.node}`,
  );
  if (results.machine.loadAvgAtStart[0]! > 0.5) {
    log(
      `note: load average ${results.machine.loadAvgAtStart.join(' ')} at start: other processes use the CPUs, expect noisy timings`,
    );
  }
  if (results.git !== null)
    log(`code: commit ${results.git.commit}, ${results.git.changedFiles} changed or new file(s) in the working tree`);
  if (results.redisUrlSet) log('REDIS_URL is set: ours runs with the Redis event bus');
  log(
    `servers: ${options.servers.join(', ')}; scenarios: ${options.scenarios.join(', ')}${options.quick ? ' (quick sizes)' : ''}`,
  );
  if (needsDb) {
    dataDir = process.env['MONGODB_URI'] ? undefined : mkdtempSync(join(tmpdir(), 'app-bench-db-'));
    db = await embedded.startDatabase(dataDir === undefined ? {} : { dataDir });
    results.database = { kind: db.kind, dbName };
    log(`database: ${db.kind} at ${db.uri} (db ${dbName})`);
  }
  for (let i = 0; i < options.workers; i += 1) receivers.push(new LoadWorker(`receiver-${i + 1}`));
  control = new LoadWorker('control');
  log(`load generator: ${receivers.length} receiver process(es) + 1 control process`);

  if (db !== undefined && options.scenarios.includes('mutations') && options.servers.includes('ours')) {
    log(
      `bare mongoose writes: ${options.bareWrites} updateOne + ${options.bareWrites} insertOne, ${options.bareInFlight} in flight`,
    );
    const dbCpu0 = db.pid === undefined ? null : processCpuMs(db.pid);
    results.bare = await control.call<BareWriteResult>({
      cmd: 'bareWrite',
      uri: db.uri,
      dbName,
      count: options.bareWrites,
      inFlight: options.bareInFlight,
      payloadBytes: options.payloadBytes,
      maxPoolSize: options.bareMaxPoolSize,
      timeoutMs: scenarioMs(),
    });
    const dbCpu1 = db.pid === undefined ? null : processCpuMs(db.pid);
    if (dbCpu0 !== null && dbCpu1 !== null) results.bare.dbCpuMs = dbCpu1 - dbCpu0;
    log(
      `  updateOne ${results.bare.updateOne.perSec.toFixed(0)}/s, insertOne ${results.bare.insertOne.perSec.toFixed(0)}/s`,
    );
  }

  const scenarioTasks: {
    [K in Exclude<Scenario, 'bundle' | 'ping' | 'scale' | 'resume' | 'video'>]: (
      handle: ServerHandle,
    ) => Promise<NonNullable<ServerResult[K]>>;
  } = {
    idle: idleMemory,
    fanout: fanOut,
    mutations: durableMutations,
    connections: connectionSteps,
  };
  for (const kind of options.servers) {
    results.servers[kind] = {
      kind,
      label: SERVER_LABELS[kind],
      pid: 0,
      errors: [],
      loadAvgAtStart: loadavg().map((v) => Number(v.toFixed(2))),
    };
  }
  if (options.scenarios.includes('bundle')) {
    log('bundle: browser bundles of @app/client and socket.io-client (esbuild, minify, gzip), one request each');
    try {
      results.bundle = await measureBundles();
      for (const line of bundleLines(results.bundle)) log(`  ${line}`);
    } catch (error) {
      log(`  bundle failed: ${(error as Error).message}`);
    }
  }
  if (options.scenarios.includes('video') && db !== undefined) {
    const name = `${dbName}_video`;
    usedDbNames.add(name);
    log(`video: ${options.videoJobs} concurrent jobs through apps/server against the Runway simulator`);
    try {
      results.video = await measureVideoJobs({
        mongodbUri: db.uri,
        dbName: name,
        jobs: options.videoJobs,
        pollMs: options.videoPollMs,
        stepMs: options.videoStepMs,
        runningSteps: 3,
        timeoutMs: scenarioMs(),
      });
      for (const line of videoJobLines(results.video)) log(`  ${line}`);
    } catch (error) {
      log(`  video failed: ${(error as Error).message}`);
    }
  }
  if (options.scenarios.includes('ping')) {
    try {
      await pingInterleaved(results.servers);
    } catch (error) {
      for (const kind of options.servers) results.servers[kind]!.errors.push(`ping: ${(error as Error).message}`);
      log(`  ping failed: ${(error as Error).message}`);
    }
  }
  for (const kind of options.servers) {
    const entry = results.servers[kind]!;
    const logLines: string[] = [];
    const launch = async (scenario: Scenario | undefined): Promise<ServerHandle> => {
      const port = await embedded.freePort();
      // With a process per scenario, ours also gets a fresh database, so one scenario's data does not slow the next.
      const name = scenario === undefined ? dbName : `${dbName}_${scenario}`;
      log(`${SERVER_LABELS[kind]}: starting on 127.0.0.1:${port}${kind === 'ours' ? ` (database ${name})` : ''}`);
      const profile = options.profile
        ? { dir: join(BENCH_DIR, 'results', 'profiles', runId), name: `${kind}-${scenario ?? 'all'}` }
        : undefined;
      if (kind === 'ours') usedDbNames.add(name);
      const handle = await startServer(kind, { port, mongodbUri: db?.uri, dbName: name, profile });
      entry.pid = handle.pid;
      return handle;
    };
    const shutdown = async (): Promise<void> => {
      if (server === undefined) return;
      logLines.push(
        ...server.output
          .filter((line) => /error|warn/i.test(line) && !line.includes('AUTHENTICATION IS OFF'))
          .slice(-5),
      );
      await server.stop();
      server = undefined;
    };
    for (const name of SCENARIOS) {
      if (
        name === 'bundle' ||
        name === 'ping' ||
        name === 'scale' ||
        name === 'resume' ||
        name === 'video' ||
        !options.scenarios.includes(name) ||
        (name === 'mutations' && kind !== 'ours')
      )
        continue;
      if (options.restartPerScenario) await shutdown();
      server ??= await launch(options.restartPerScenario ? name : undefined);
      const started = nowMs();
      log(`${SERVER_LABELS[kind]}: ${name}`);
      try {
        (entry as Record<keyof typeof scenarioTasks, unknown>)[name] = await scenarioTasks[name](server);
      } catch (error) {
        entry.errors.push(`${name}: ${(error as Error).message}`);
        log(`  ${name} failed: ${(error as Error).message}`);
        await closeReceivers().catch(() => {});
      }
      log(`  ${name} done in ${((nowMs() - started) / 1000).toFixed(1)} s${summaryLine(entry, name)}`);
      if (!server.alive())
        throw new Error(`${SERVER_LABELS[kind]} exited during ${name}:\n${server.output.slice(-20).join('\n')}`);
      if (!options.restartPerScenario) await settle(server.pid);
    }
    await shutdown();
    entry.peakRssKiB = Math.max(
      ...[
        entry.idle?.peakRssKiB,
        entry.ping?.peakRssKiB,
        entry.fanout?.peakRssKiB,
        entry.mutations?.peakRssKiB,
        entry.connections?.peakRssKiB,
      ].filter((value): value is number => typeof value === 'number' && Number.isFinite(value)),
      0,
    );
    if (logLines.length > 0) entry.serverLog = logLines.slice(-10);
  }
  if (options.scenarios.includes('resume')) {
    for (const kind of options.servers.filter((k) => k !== 'raw')) {
      const entry = results.servers[kind]!;
      const started = nowMs();
      log(`${SERVER_LABELS[kind]}: resume`);
      try {
        entry.resume = await resume(kind);
      } catch (error) {
        entry.errors.push(`resume: ${(error as Error).message}`);
        log(`  resume failed: ${(error as Error).message}`);
        await Promise.all(receivers.map((worker) => worker.call({ cmd: 'resumeClose' }).catch(() => {})));
      }
      log(`  resume done in ${((nowMs() - started) / 1000).toFixed(1)} s${summaryLine(entry, 'resume')}`);
    }
  }
  if (options.scenarios.includes('scale') && options.servers.includes('ours')) {
    const entry = results.servers['ours']!;
    const started = nowMs();
    log('ours: scale');
    try {
      entry.scale = await scale();
    } catch (error) {
      entry.errors.push(`scale: ${(error as Error).message}`);
      log(`  scale failed: ${(error as Error).message}`);
    }
    log(`  scale done in ${((nowMs() - started) / 1000).toFixed(1)} s`);
  }
} catch (error) {
  // A crash of the run itself (a server exited, the database did not start): report what was measured, exit 1.
  results.fatal = (error as Error).stack ?? String(error);
  log(`run aborted: ${(error as Error).message}`);
} finally {
  results.durationSec = (nowMs() - runStarted) / 1000;
  await cleanup();
}

const file = options.out ?? join(BENCH_DIR, 'results', `${runId}.json`);
mkdirSync(join(file, '..'), { recursive: true });
const markdown = printReport(results);
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(file.replace(/\.json$/, '') + '.md', `${markdown}\n`);
log(
  `results saved to ${relative(ROOT, file)} and the tables to ${relative(ROOT, file.replace(/\.json$/, ''))}.md (run took ${results.durationSec.toFixed(0)} s)`,
);
if (results.fatal !== undefined) process.exitCode = 1;
if (options.profile)
  log(
    `CPU profiles in ${relative(ROOT, join(BENCH_DIR, 'results', 'profiles', runId))}/ (open in Chrome DevTools > Performance)`,
  );

function summaryLine(entry: ServerResult, name: string): string {
  const f = (value: number | null | undefined, digits = 1): string =>
    value === null || value === undefined ? '-' : value.toFixed(digits);
  switch (name) {
    case 'idle':
      return entry.idle ? `: ${f(entry.idle.kibPerConnection)} KiB/connection over ${entry.idle.connections}` : '';
    case 'ping':
      return entry.ping ? `: p50 ${f(entry.ping.rtt.p50, 3)} ms, p99 ${f(entry.ping.rtt.p99, 3)} ms` : '';
    case 'fanout':
      return entry.fanout
        ? `: ${f(entry.fanout.eventsPerSec, 0)} events/s, p99 ${f(entry.fanout.latency.p99)} ms, ${f(entry.fanout.cpuUsPerEvent, 2)} µs CPU/event, ${entry.fanout.delivered}/${entry.fanout.expected} delivered`
        : '';
    case 'mutations':
      return entry.mutations
        ? `: ${f(entry.mutations.ackedPerSec, 0)} acked/s, p99 ${f(entry.mutations.ackLatency.p99)} ms`
        : '';
    case 'connections':
      return entry.connections ? `: held ${entry.connections.maxPassed} (${entry.connections.stopReason})` : '';
    case 'resume':
      return entry.resume
        ? `: ${entry.resume.complete}/${entry.resume.clients} clients hold every missed event in ${f(entry.resume.recoverMs, 0)} ms, ${entry.resume.lost} lost, ${entry.resume.duplicated} duplicated, writer ack p99 ${f(entry.resume.writerAck.p99)} ms`
        : '';
    default:
      return '';
  }
}
