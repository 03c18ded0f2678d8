// A load generator process, forked by the driver (`node --import tsx src/loadgen.ts` with IPC).
// Receiver workers hold many subscribed connections and record send-to-receive latency of every
// event; one control worker publishes updates, runs the ping round trips, the durable mutations
// and the bare mongoose write rate. Every loop is bounded by a count and a deadline.
import { BenchClient, type EventSink } from './client.js';
import { latencies, seed, storm, type LatencyCommand, type SeedCommand, type StormCommand } from './scale.js';
import {
  resumeClose,
  resumeDrop,
  resumeOpen,
  resumeReconnect,
  resumeWait,
  type ResumeOpenCommand,
  type ResumeReconnectCommand,
} from './resume.js';
import {
  Histogram,
  UPDATE_NO_KEY,
  extractNumber,
  nowMs,
  processCpuMs,
  sleep,
  waitIdle,
  type HistogramJson,
  type LatencySummary,
  type ServerKind,
} from './common.js';

export type Command =
  | {
      cmd: 'connect';
      url: string;
      kind: ServerKind;
      count: number;
      projectId?: string | undefined;
      concurrency: number;
      timeoutMs: number;
    }
  | { cmd: 'reset'; detail?: boolean }
  | { cmd: 'ackRelative'; ackAt: number[] }
  | { cmd: 'stats' }
  | { cmd: 'count' }
  | { cmd: 'closeAll' }
  | { cmd: 'prepare'; url: string; kind: ServerKind; projectId: string; workspaces: number; timeoutMs: number }
  | {
      cmd: 'publish';
      url: string;
      kind: ServerKind;
      workspaceIds: string[];
      count: number;
      inFlight: number;
      ratePerSec?: number | undefined;
      payloadBytes: number;
      connections: number;
      timeoutMs: number;
      /** Return each update's ack time (index = updateNo), for ack-to-receive latency. */
      returnAckTimes?: boolean;
    }
  | {
      cmd: 'ping';
      /** One connection each; every round pings each server once (see `pingInterleaved`). */
      servers: { url: string; kind: ServerKind; cpuPid: number }[];
      count: number;
      warmup: number;
      /** Processes that must be idle (under 10 % of a core) before the measured rounds start. */
      quietPids: number[];
      timeoutMs: number;
    }
  | {
      cmd: 'bareWrite';
      uri: string;
      dbName: string;
      count: number;
      inFlight: number;
      payloadBytes: number;
      maxPoolSize: number;
      timeoutMs: number;
    }
  | { cmd: 'dropDatabase'; uri: string; dbName: string }
  | SeedCommand
  | LatencyCommand
  | StormCommand
  | ResumeOpenCommand
  | { cmd: 'resumeDrop' }
  | { cmd: 'resumeWait'; seq: number; timeoutMs: number }
  | ResumeReconnectCommand
  | { cmd: 'resumeClose' };

export interface ConnectResult {
  opened: number;
  failed: number;
  subscribed: number;
  ms: number;
  firstError?: string;
}

export interface ReceiverStats {
  received: number;
  closedUnexpectedly: number;
  lastRecvAt: number | null;
  hist: HistogramJson;
}

export interface PublishResult {
  sent: number;
  acked: number;
  errors: number;
  firstError?: string;
  firstSendAt: number | null;
  lastAckAt: number | null;
  timedOut: boolean;
  ack: LatencySummary;
  /** How far behind its schedule the paced sender fell at worst (ms); 0 in closed loop. */
  maxLagMs: number;
  ackAt?: number[];
}

/** One server's part of the interleaved ping rounds; `samples[i]` is its round trip in round i (ms). */
export interface PingResult {
  kind: ServerKind;
  /** CPU of the server process over the measured rounds. */
  cpuMs: number | null;
  samples: number[];
}

export interface PingRounds {
  servers: PingResult[];
  timedOut: boolean;
}

export interface BareWriteResult {
  updateOne: { count: number; ms: number; perSec: number; latency: LatencySummary };
  insertOne: { count: number; ms: number; perSec: number; latency: LatencySummary };
  timedOut: boolean;
}

const clients: BenchClient[] = [];
let hist = new Histogram();
let received = 0;
let lastRecvAt: number | null = null;

/** In detail mode: (updateNo, receive time) of every event, to compute ack-to-receive latency later. */
let detail: { updateNo: number[]; recvAt: number[] } | undefined;

const sink: EventSink = (sentAt, frame) => {
  const now = nowMs();
  received += 1;
  lastRecvAt = now;
  hist.record(now - sentAt);
  if (detail !== undefined) {
    detail.updateNo.push(extractNumber(frame, UPDATE_NO_KEY));
    detail.recvAt.push(now);
  }
};

/** Fan-out latency without the write: receive time minus the publisher's ack time of the same update. */
function ackRelative(ackAt: number[]): HistogramJson {
  const relative = new Histogram();
  if (detail === undefined) return relative.toJSON();
  for (let i = 0; i < detail.recvAt.length; i += 1) {
    const acked = ackAt[detail.updateNo[i]!];
    if (acked !== undefined && acked !== null && Number.isFinite(acked))
      relative.record(Math.max(0, detail.recvAt[i]! - acked));
  }
  return relative.toJSON();
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function connectMany(command: Extract<Command, { cmd: 'connect' }>): Promise<ConnectResult> {
  const started = nowMs();
  const deadline = started + command.timeoutMs;
  let next = 0;
  let opened = 0;
  let failed = 0;
  let subscribed = 0;
  let firstError: string | undefined;
  const lane = async (): Promise<void> => {
    while (next < command.count && nowMs() < deadline) {
      next += 1;
      try {
        const client = await BenchClient.connect(command.url, command.kind, {
          timeoutMs: Math.max(1_000, Math.min(30_000, deadline - nowMs())),
          sink,
        });
        clients.push(client);
        opened += 1;
        if (command.projectId !== undefined) {
          await client.request(
            'subscribe',
            { projectId: command.projectId },
            Math.max(1_000, Math.min(60_000, deadline - nowMs())),
          );
          subscribed += 1;
        }
      } catch (error) {
        failed += 1;
        firstError ??= describe(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, command.concurrency) }, lane));
  const result: ConnectResult = { opened, failed, subscribed, ms: nowMs() - started };
  if (firstError !== undefined) result.firstError = firstError;
  return result;
}

function reset(withDetail = false): void {
  detail = withDetail ? { updateNo: [], recvAt: [] } : undefined;
  hist = new Histogram();
  received = 0;
  lastRecvAt = null;
}

function stats(): ReceiverStats {
  let closedUnexpectedly = 0;
  for (const client of clients) {
    if (!client.isOpen && !client.closedByUs) closedUnexpectedly += 1;
  }
  return {
    received,
    closedUnexpectedly,
    lastRecvAt,
    hist: hist.toJSON(),
  };
}

async function closeAll(): Promise<{ closed: number }> {
  const all = clients.splice(0);
  for (let i = 0; i < all.length; i += 500) await Promise.all(all.slice(i, i + 500).map((client) => client.close()));
  return { closed: all.length };
}

async function prepare(command: Extract<Command, { cmd: 'prepare' }>): Promise<{ workspaceIds: string[] }> {
  const client = await BenchClient.connect(command.url, command.kind, { timeoutMs: command.timeoutMs });
  try {
    const workspaceIds: string[] = [];
    for (let i = 0; i < command.workspaces; i += 1) {
      const ack = (await client.request(
        'workspace.create',
        { projectId: command.projectId, name: `bench ${i}` },
        command.timeoutMs,
      )) as {
        workspace: { id: string };
      };
      workspaceIds.push(ack.workspace.id);
    }
    return { workspaceIds };
  } finally {
    await client.close();
  }
}

/**
 * Sends `count` workspace.update requests, each carrying `sentAt`, over `connections` connections:
 * closed loop with `inFlight` outstanding, or open loop at `ratePerSec` (then `inFlight` is not a cap).
 */
async function publish(command: Extract<Command, { cmd: 'publish' }>): Promise<PublishResult> {
  const senders: BenchClient[] = [];
  const deadline = nowMs() + command.timeoutMs;
  try {
    for (let i = 0; i < Math.max(1, command.connections); i += 1) {
      senders.push(await BenchClient.connect(command.url, command.kind, { timeoutMs: command.timeoutMs }));
    }
    const prompt = 'x'.repeat(Math.max(0, command.payloadBytes));
    const ack = new Histogram();
    const result: PublishResult = {
      sent: 0,
      acked: 0,
      errors: 0,
      firstSendAt: null,
      lastAckAt: null,
      timedOut: false,
      ack: ack.summary(),
      maxLagMs: 0,
    };
    const ackAt = command.returnAckTimes === true ? new Array<number>(command.count).fill(NaN) : undefined;
    const sendOne = (): Promise<void> => {
      const n = result.sent;
      result.sent += 1;
      const client = senders[n % senders.length]!;
      const workspaceId = command.workspaceIds[n % command.workspaceIds.length]!;
      const sentAt = nowMs();
      result.firstSendAt ??= sentAt;
      const data = { sentAt, updateNo: n, prompt };
      return client
        .request('workspace.update', { id: workspaceId, patch: { data } }, Math.max(1_000, deadline - sentAt))
        .then(
          () => {
            const now = nowMs();
            result.acked += 1;
            result.lastAckAt = now;
            ack.record(now - sentAt);
            if (ackAt !== undefined) ackAt[n] = now;
          },
          (error: unknown) => {
            result.errors += 1;
            result.firstError ??= describe(error);
          },
        );
    };
    const outstanding = new Set<Promise<void>>();
    const track = (promise: Promise<void>): void => {
      outstanding.add(promise);
      void promise.finally(() => outstanding.delete(promise));
    };
    if (command.ratePerSec !== undefined && command.ratePerSec > 0) {
      const intervalMs = 1000 / command.ratePerSec;
      const start = nowMs();
      while (result.sent < command.count) {
        const due = start + result.sent * intervalMs;
        const now = nowMs();
        if (now >= deadline) {
          result.timedOut = true;
          break;
        }
        if (now < due) {
          await sleep(Math.max(0, due - now));
          continue;
        }
        result.maxLagMs = Math.max(result.maxLagMs, now - due);
        track(sendOne());
      }
    } else {
      const lane = async (): Promise<void> => {
        while (result.sent < command.count) {
          if (nowMs() >= deadline) {
            result.timedOut = true;
            return;
          }
          await sendOne();
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, command.inFlight) }, lane));
    }
    // Wait for the last acks, bounded by the deadline.
    while (outstanding.size > 0 && nowMs() < deadline) await Promise.race([...outstanding, sleep(100)]);
    if (outstanding.size > 0) result.timedOut = true;
    result.ack = ack.summary();
    if (ackAt !== undefined) result.ackAt = ackAt;
    return result;
  } finally {
    await Promise.all(senders.map((client) => client.close()));
  }
}

/** Every ordering of `items` (each item first, second, ... equally often when cycled through). */
function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

/**
 * Sequential pings to every server, interleaved ping by ping: each round sends one ping to each
 * server in turn, in an order that cycles through every permutation (so each server is pinged
 * first, second, ... and right after each other equally often). A burst of other work on the
 * machine, which on a shared 2-vCPU VM slows every round trip for milliseconds at a time, then
 * lands on every server alike instead of on whichever server's batch was running.
 */
async function pingInterleaved(command: Extract<Command, { cmd: 'ping' }>): Promise<PingRounds> {
  const deadline = nowMs() + command.timeoutMs;
  const clients: BenchClient[] = [];
  try {
    for (const server of command.servers)
      clients.push(await BenchClient.connect(server.url, server.kind, { timeoutMs: command.timeoutMs }));
    const orders = permutations(clients.map((_, i) => i));
    const ping = (i: number): Promise<unknown> => clients[i]!.request('ping', {}, 10_000);
    for (let round = 0; round < command.warmup && nowMs() < deadline; round += 1) {
      for (const i of orders[round % orders.length]!) await ping(i);
    }
    await waitIdle(command.quietPids, 50, 2_000);
    const samples = clients.map((): number[] => []);
    const cpu0 = command.servers.map((server) => processCpuMs(server.cpuPid));
    let timedOut = false;
    for (let round = 0; round < command.count; round += 1) {
      if (nowMs() >= deadline) {
        timedOut = true;
        break;
      }
      for (const i of orders[round % orders.length]!) {
        const sentAt = nowMs();
        await ping(i);
        samples[i]!.push(nowMs() - sentAt);
      }
    }
    const servers = command.servers.map((server, i): PingResult => {
      const before = cpu0[i] ?? null;
      const after = processCpuMs(server.cpuPid);
      return {
        kind: server.kind,
        cpuMs: before === null || after === null ? null : after - before,
        samples: samples[i]!,
      };
    });
    return { servers, timedOut };
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
}

/** The limit to compare durable mutations against: single-document writes with mongoose on the same database. */
async function bareWrite(command: Extract<Command, { cmd: 'bareWrite' }>): Promise<BareWriteResult> {
  const mongoose = (await import('mongoose')).default;
  const connection = mongoose.createConnection(command.uri, {
    dbName: command.dbName,
    bufferCommands: false,
    autoIndex: false,
    maxPoolSize: command.maxPoolSize,
    serverSelectionTimeoutMS: 10_000,
    writeConcern: { w: 'majority', j: true },
  });
  await connection.asPromise();
  const schema = new mongoose.Schema(
    { _id: String, n: Number, data: mongoose.Schema.Types.Mixed, updatedAt: Date },
    { versionKey: false, minimize: false, collection: 'bench_bare_writes' },
  );
  const Doc = connection.model('BenchBareWrite', schema);
  const deadline = nowMs() + command.timeoutMs;
  const prompt = 'x'.repeat(Math.max(0, command.payloadBytes));
  let timedOut = false;
  const run = async (
    op: (n: number) => Promise<unknown>,
  ): Promise<{ count: number; ms: number; perSec: number; latency: LatencySummary }> => {
    const latency = new Histogram();
    let next = 0;
    let done = 0;
    const started = nowMs();
    const lane = async (): Promise<void> => {
      while (next < command.count) {
        if (nowMs() >= deadline) {
          timedOut = true;
          return;
        }
        const n = next;
        next += 1;
        const t = nowMs();
        await op(n);
        latency.record(nowMs() - t);
        done += 1;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, command.inFlight) }, lane));
    const ms = nowMs() - started;
    return { count: done, ms, perSec: ms > 0 ? (done * 1000) / ms : 0, latency: latency.summary() };
  };
  try {
    await Doc.deleteMany({});
    await Doc.create({ _id: 'one', n: 0, data: {}, updatedAt: new Date() });
    const update = (n: number): Promise<unknown> =>
      Doc.updateOne(
        { _id: 'one' },
        { $set: { n, data: { sentAt: nowMs(), n, prompt }, updatedAt: new Date() } },
      ).exec();
    for (let i = 0; i < 50; i += 1) await update(i); // warm-up: connection pool, collection
    const updateOne = await run(update);
    const insertOne = await run((n) =>
      Doc.create({ _id: `doc-${n}`, n, data: { sentAt: nowMs(), n, prompt }, updatedAt: new Date() }),
    );
    return { updateOne, insertOne, timedOut };
  } finally {
    await Doc.collection.drop().catch(() => {});
    await connection.close();
  }
}

async function dropDatabase(command: Extract<Command, { cmd: 'dropDatabase' }>): Promise<{ dropped: boolean }> {
  const mongoose = (await import('mongoose')).default;
  const connection = mongoose.createConnection(command.uri, {
    dbName: command.dbName,
    serverSelectionTimeoutMS: 10_000,
  });
  try {
    await connection.asPromise();
    await connection.dropDatabase();
    return { dropped: true };
  } finally {
    await connection.close();
  }
}

async function handle(command: Command): Promise<unknown> {
  switch (command.cmd) {
    case 'connect':
      return connectMany(command);
    case 'reset':
      reset(command.detail ?? false);
      return {};
    case 'ackRelative':
      return ackRelative(command.ackAt);
    case 'stats':
      return stats();
    case 'count':
      return { received };
    case 'closeAll':
      return closeAll();
    case 'prepare':
      return prepare(command);
    case 'publish':
      return publish(command);
    case 'ping':
      return pingInterleaved(command);
    case 'bareWrite':
      return bareWrite(command);
    case 'dropDatabase':
      return dropDatabase(command);
    case 'seed':
      return seed(command);
    case 'latencies':
      return latencies(command);
    case 'storm':
      return storm(command);
    case 'resumeOpen':
      return resumeOpen(command);
    case 'resumeDrop':
      return resumeDrop();
    case 'resumeWait':
      return resumeWait(command);
    case 'resumeReconnect':
      return resumeReconnect(command);
    case 'resumeClose':
      return resumeClose();
  }
}

if (process.send === undefined) {
  process.stderr.write('loadgen.ts is a worker: the driver forks it with an IPC channel\n');
  process.exit(2);
}
process.on('message', (message: { reqId: number; command: Command }) => {
  handle(message.command).then(
    (result) => process.send!({ reqId: message.reqId, ok: true, result }),
    (error: unknown) => process.send!({ reqId: message.reqId, ok: false, error: describe(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
