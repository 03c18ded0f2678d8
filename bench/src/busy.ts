// The `busy` scenario (`pnpm --filter @app/bench busy`): one long-lived project (50,000 events, seeded
// through the driver) that a writer updates 50 times a second, while 1,000 clients subscribe at once
// in three groups: with a snapshot, 500 events behind and 9,000 behind (`sinceSeq`). Reported: how
// many were closed, events lost or duplicated, the time per replayed event of each replaying group
// (the history should cost what the tail costs: 9,000-behind at most 2x 500-behind), and the
// writer's ack p99 during the storm against before it (at most 2x). Sizes: BUSY_EVENTS,
// BUSY_CLIENTS, BUSY_WRITES_PER_SEC, BUSY_TIMEOUT_SEC.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { BenchClient } from './client.js';
import { Histogram, exactSummary, nowMs, sleep } from './common.js';
import { ROOT, startServer } from './processes.js';
import { scaleProjectId, scaleWorkspaceId, seed } from './scale.js';

const EVENTS = Number(process.env['BUSY_EVENTS'] ?? 50_000);
const CLIENTS = Number(process.env['BUSY_CLIENTS'] ?? 1_000);
const WRITES_PER_SEC = Number(process.env['BUSY_WRITES_PER_SEC'] ?? 50);
const TIMEOUT_MS = Number(process.env['BUSY_TIMEOUT_SEC'] ?? 600) * 1000;
const WORKSPACES = 10;
const BEFORE_MS = 10_000;
const GROUPS = [
  { name: 'snapshot', behind: undefined },
  { name: '500 behind', behind: 500 },
  { name: '9,000 behind', behind: 9_000 },
] as const;

interface EmbeddedDb {
  uri: string;
  stop(): Promise<void>;
}
const embedded = (await import(pathToFileURL(join(ROOT, 'scripts', 'embedded-db.mjs')).href)) as {
  startDatabase(options: { dataDir?: string }): Promise<EmbeddedDb>;
  freePort(): Promise<number>;
};

function log(line: string): void {
  process.stdout.write(`[busy] ${line}\n`);
}

/** One subscriber: its seqs as they come (counting repeats and gaps), its ack and how long it took. */
class Subscriber {
  readonly socket: WebSocket;
  last = 0;
  start: number | undefined;
  duplicated = 0;
  gaps = 0;
  received = 0;
  ackMs: number | undefined;
  replayed = 0;
  closed: string | undefined;
  error: string | undefined;
  private sentAt = 0;

  constructor(
    url: string,
    readonly group: number,
    private readonly request: Record<string, unknown>,
  ) {
    this.socket = new WebSocket(url, { perMessageDeflate: false });
    this.socket.on('error', () => {});
    this.socket.on('close', (code, reason) => {
      if (this.closed === undefined) this.closed = `${code} ${reason.toString()}`;
    });
    this.socket.on('message', (data: Buffer) => this.onFrame(data));
  }

  get acked(): boolean {
    return this.ackMs !== undefined || this.error !== undefined || this.closed !== undefined;
  }

  private onFrame(data: Buffer): void {
    const frame = JSON.parse(data.toString()) as { type: string; seq?: number; data?: Record<string, unknown> };
    if (frame.type === 'hello') {
      this.sentAt = nowMs();
      this.socket.send(JSON.stringify({ type: 'subscribe', id: 's', data: this.request }));
      if (typeof this.request['sinceSeq'] === 'number') this.start = this.request['sinceSeq'];
      return;
    }
    if (frame.type === 'ack') {
      this.ackMs = nowMs() - this.sentAt;
      this.replayed = Number(frame.data?.['replayed'] ?? 0);
      if (this.start === undefined) this.start = Number(frame.data?.['seq']);
      return;
    }
    if (frame.type === 'error') {
      this.error = JSON.stringify(frame).slice(0, 200);
      return;
    }
    if (typeof frame.seq !== 'number') return;
    this.received += 1;
    if (this.start === undefined) return; // a snapshot subscriber's events before its ack come after the snapshot's seq only
    if (frame.seq <= this.last) this.duplicated += 1;
    else {
      if (this.last !== 0 && frame.seq !== this.last + 1) this.gaps += frame.seq - this.last - 1;
      if (this.last === 0 && frame.seq !== this.start + 1) this.gaps += frame.seq - this.start - 1;
      this.last = frame.seq;
    }
  }
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'busy-db-'));
  const db = await embedded.startDatabase({ dataDir });
  const dbName = 'busy';
  const projectId = scaleProjectId(0);
  try {
    log(`seeding ${EVENTS} events`);
    const seeded = await seed({
      cmd: 'seed',
      uri: db.uri,
      dbName,
      first: 0,
      count: 1,
      eventsPerProject: EVENTS,
      workspacesPerProject: WORKSPACES,
      payloadBytes: 200,
      timeoutMs: TIMEOUT_MS,
    });
    log(`seeded in ${(seeded.ms / 1000).toFixed(1)} s`);
    const server = await startServer('ours', { port: await embedded.freePort(), mongodbUri: db.uri, dbName });
    try {
      await run(server.url, projectId);
    } finally {
      await server.stop();
    }
  } finally {
    await db.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function run(url: string, projectId: string): Promise<void> {
  const deadline = nowMs() + TIMEOUT_MS;
  const writer = await BenchClient.connect(url, 'ours', { timeoutMs: 30_000 });
  const head = (await writer.request('subscribe', { projectId })) as { seq: number; epoch: string };
  const latencies = { before: new Histogram(), storm: new Histogram() };
  const now: { phase: 'before' | 'storm' | 'after' } = { phase: 'before' };
  let writing = true;
  let lastAckedSeq = head.seq;
  let writeErrors = 0;
  const writes = (async () => {
    const interval = 1000 / WRITES_PER_SEC;
    let next = nowMs();
    for (let i = 0; writing && nowMs() < deadline; i += 1) {
      next += interval;
      const sentAt = nowMs();
      const at = now.phase;
      void writer
        .request('workspace.update', { id: scaleWorkspaceId(projectId, i % WORKSPACES), patch: { name: `busy ${i}` } })
        .then(
          () => {
            if (at !== 'after') latencies[at].record(nowMs() - sentAt);
          },
          () => (writeErrors += 1),
        );
      await sleep(Math.max(0, next - nowMs()));
    }
  })();
  // Events of the writer's own subscription say how far the log is.
  const watcher = new Subscriber(url, -1, { projectId });
  await sleep(BEFORE_MS);
  const stormHead = watcher.last || head.seq;
  log(`storm: ${CLIENTS} subscribers at head ${stormHead}`);
  now.phase = 'storm';
  const stormStarted = nowMs();
  const subscribers = Array.from({ length: CLIENTS }, (_, i) => {
    const group = i % GROUPS.length;
    const behind = GROUPS[group]!.behind;
    return new Subscriber(
      url,
      group,
      behind === undefined ? { projectId } : { projectId, sinceSeq: stormHead - behind, epoch: head.epoch },
    );
  });
  while (!subscribers.every((s) => s.acked) && nowMs() < deadline) await sleep(100);
  const stormMs = nowMs() - stormStarted;
  now.phase = 'after';
  log(`all answered in ${(stormMs / 1000).toFixed(1)} s`);
  await sleep(2_000);
  writing = false;
  await writes;
  await sleep(1_000);
  lastAckedSeq = Math.max(watcher.last, lastAckedSeq);
  while (subscribers.some((s) => s.closed === undefined && s.last < lastAckedSeq) && nowMs() < deadline)
    await sleep(200);

  const closed = subscribers.filter((s) => s.closed !== undefined);
  const lost = subscribers.reduce(
    (sum, s) => sum + s.gaps + (s.closed === undefined ? Math.max(0, lastAckedSeq - s.last) : 0),
    0,
  );
  const duplicated = subscribers.reduce((sum, s) => sum + s.duplicated, 0);
  const perEvent = GROUPS.map((g, group) => {
    const mine = subscribers.filter((s) => s.group === group && s.ackMs !== undefined);
    const ack = exactSummary(mine.map((s) => s.ackMs!));
    const perReplayed =
      g.behind === undefined ? null : exactSummary(mine.map((s) => s.ackMs! / Math.max(1, s.replayed)));
    return { group: g.name, acked: mine.length, ack, perReplayedMs: perReplayed };
  });
  const before = latencies.before.summary();
  const storm = latencies.storm.summary();
  const result = {
    events: EVENTS,
    clients: CLIENTS,
    writesPerSec: WRITES_PER_SEC,
    stormHead,
    finalHead: lastAckedSeq,
    stormMs,
    closed: closed.length,
    closeReasons: [...new Set(closed.map((s) => s.closed))].slice(0, 5),
    errors: subscribers.filter((s) => s.error !== undefined).length,
    lost,
    duplicated,
    writeErrors,
    groups: perEvent,
    writerAckMs: { before, storm },
    ratios: {
      perReplayed9000Vs500: (perEvent[2]!.perReplayedMs?.p50 ?? NaN) / (perEvent[1]!.perReplayedMs?.p50 ?? NaN),
      writerP99StormVsBefore: (storm.p99 ?? NaN) / (before.p99 ?? NaN),
    },
  };
  console.log(JSON.stringify(result, null, 2));
  for (const s of [...subscribers, watcher]) s.socket.terminate();
  await writer.close();
}

await main();
