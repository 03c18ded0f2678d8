// The `scale` scenario's parts that run in a load generator process: seeding a database through the
// driver (no server: 500,000 events take minutes, not hours), the request latencies measured
// against seeded projects, and the subscribe storm. The driver (driver.ts `scale`) seeds two
// databases, one holding only the measured projects and one that also holds every other seeded
// project, and measures a fresh server process on each, side by side.
import { randomUUID } from 'node:crypto';
import { BenchClient } from './client.js';
import { Histogram, nowMs, type LatencySummary } from './common.js';

export interface SeedCommand {
  cmd: 'seed';
  uri: string;
  dbName: string;
  /** Projects `scale-<first>` .. `scale-<first + count - 1>`. */
  first: number;
  count: number;
  eventsPerProject: number;
  workspacesPerProject: number;
  payloadBytes: number;
  timeoutMs: number;
}

export interface SeedResult {
  projects: number;
  events: number;
  ms: number;
}

export const scaleProjectId = (i: number): string => `scale-${i}`;
/** The seeded workspace ids are derived from the project and index, so the driver knows them without reading. */
export const scaleWorkspaceId = (projectId: string, i: number): string => `${projectId}-w${i}`;

const EVENTS_PER_INSERT = 2_000;

/**
 * Writes what the server would have stored for `count` projects of `eventsPerProject` events each
 * (the first `workspacesPerProject` create workspaces, the rest update them in turn, every one with
 * a request id): events, request index entries, workspace documents and project heads, in the form
 * `@app/core` stores them, with bulk inserts.
 */
export async function seed(command: SeedCommand): Promise<SeedResult> {
  const mongoose = (await import('mongoose')).default;
  const connection = mongoose.createConnection(command.uri, {
    dbName: command.dbName,
    bufferCommands: false,
    autoIndex: false,
    serverSelectionTimeoutMS: 10_000,
  });
  await connection.asPromise();
  const started = nowMs();
  const deadline = started + command.timeoutMs;
  const filler = 'x'.repeat(Math.max(0, command.payloadBytes));
  try {
    // The server creates its indexes when it starts on this database.
    const db = connection.db!;
    let events: Record<string, unknown>[] = [];
    let requests: Record<string, unknown>[] = [];
    const flush = async (): Promise<void> => {
      if (events.length === 0) return;
      await Promise.all([
        db.collection('events').insertMany(events as never[], { ordered: false }),
        db.collection('requests').insertMany(requests as never[], { ordered: false }),
      ]);
      events = [];
      requests = [];
    };
    let written = 0;
    for (let p = command.first; p < command.first + command.count; p += 1) {
      if (nowMs() > deadline)
        throw new Error(`seeding did not finish in ${command.timeoutMs} ms (${written} events written)`);
      const projectId = scaleProjectId(p);
      const createdAt = new Date(Date.UTC(2026, 0, 1) + p * 1_000);
      const workspaces = new Map<string, { doc: Record<string, unknown>; seq: number }>();
      const order: string[] = [];
      for (let seq = 1; seq <= command.eventsPerProject; seq += 1) {
        const index = (seq - 1) % command.workspacesPerProject;
        const id = scaleWorkspaceId(projectId, index);
        const at = new Date(createdAt.getTime() + seq).toISOString();
        const previous = workspaces.get(id);
        const workspace = {
          id,
          projectId,
          name: `workspace ${index}`,
          position: previous === undefined ? order.length : order.indexOf(id),
          version: ((previous?.doc['version'] as number | undefined) ?? 0) + 1,
          data: { prompt: `${filler} ${seq}`, settings: { seconds: 5, ratio: '1280:720', seed: seq } },
          createdAt: previous === undefined ? at : (previous.doc['createdAt'] as Date).toISOString(),
          updatedAt: at,
        };
        if (previous === undefined) order.push(id);
        const key = JSON.stringify(['bench', `${projectId}:${seq}`]);
        // Client values as JSON text, as @app/core stores them (docs/decisions/0004).
        events.push({
          _id: `${projectId}:${seq}`,
          projectId,
          seq,
          key,
          type: previous === undefined ? 'workspace.created' : 'workspace.updated',
          data: JSON.stringify({ workspace }),
          origin: JSON.stringify({ sessionId: 'seed', requestId: `${projectId}:${seq}` }),
          createdAt: new Date(at),
        });
        requests.push({ _id: key, projectId, seq });
        const { id: _id, position: _position, ...rest } = workspace;
        workspaces.set(id, {
          doc: {
            _id: id,
            ...rest,
            data: JSON.stringify(workspace.data),
            createdAt: new Date(workspace.createdAt),
            updatedAt: new Date(workspace.updatedAt),
            lastSeq: seq,
          },
          seq,
        });
        written += 1;
        if (events.length >= EVENTS_PER_INSERT) await flush();
      }
      await flush();
      await db
        .collection('workspaces')
        .insertMany([...workspaces.values()].map((w) => w.doc) as never[], { ordered: false });
      await db.collection('projects').insertOne({
        _id: projectId as never,
        epoch: randomUUID(),
        seq: command.eventsPerProject,
        order,
        lastSeqs: Object.fromEntries([...workspaces].map(([id, w]) => [id, w.seq])),
        createdAt,
      });
    }
    return { projects: command.count, events: written, ms: nowMs() - started };
  } finally {
    await connection.close();
  }
}

export interface LatencyCommand {
  cmd: 'latencies';
  /** The servers measured, interleaved request by request (see `latencies`). */
  targets: { url: string; projects: { projectId: string; workspaceIds: string[] }[] }[];
  /** Requests of each kind to each server, one at a time, round-robin over its projects. */
  samples: number;
  timeoutMs: number;
}

export interface LatencyResult {
  /** A new connection's `subscribe` (snapshot) of a project: its first one on this server loads the project. */
  subscribe: LatencySummary;
  list: LatencySummary;
  /** workspace.update send -> ack, one in flight. */
  update: LatencySummary;
  errors: number;
  firstError: string | null;
  timedOut: boolean;
}

/**
 * Sequential request latencies of several servers, interleaved: each step sends the same kind of
 * request to every server in turn, alternating which goes first, so a burst of other work on the
 * machine slows both alike instead of deciding one server's tail. Subscribes use their own
 * connection (subscribe, then unsubscribe); lists and updates share another.
 */
export async function latencies(command: LatencyCommand): Promise<LatencyResult[]> {
  const deadline = nowMs() + command.timeoutMs;
  const timeout = (): number => Math.max(1_000, Math.min(30_000, deadline - nowMs()));
  const targets = await Promise.all(
    command.targets.map(async (target) => ({
      ...target,
      client: await BenchClient.connect(target.url, 'ours', { timeoutMs: timeout() }),
      subscriber: await BenchClient.connect(target.url, 'ours', { timeoutMs: timeout() }),
      hist: { subscribe: new Histogram(), list: new Histogram(), update: new Histogram() },
      errors: 0,
      firstError: null as string | null,
    })),
  );
  type Target = (typeof targets)[number];
  const timed = async (
    target: Target,
    kind: 'subscribe' | 'list' | 'update',
    run: () => Promise<unknown>,
  ): Promise<void> => {
    const sentAt = nowMs();
    try {
      await run();
      target.hist[kind].record(nowMs() - sentAt);
    } catch (error) {
      target.errors += 1;
      target.firstError ??= error instanceof Error ? error.message : String(error);
    }
  };
  let timedOut = false;
  try {
    for (let i = 0; i < command.samples; i += 1) {
      if (nowMs() > deadline) {
        timedOut = true;
        break;
      }
      const order = i % 2 === 0 ? targets : [...targets].reverse();
      for (const target of order) {
        const project = target.projects[i % target.projects.length]!;
        await timed(target, 'subscribe', () =>
          target.subscriber.request('subscribe', { projectId: project.projectId }, timeout()),
        );
        await target.subscriber.request('unsubscribe', { projectId: project.projectId }, timeout()).catch(() => {});
      }
      for (const target of order) {
        const project = target.projects[i % target.projects.length]!;
        await timed(target, 'list', () =>
          target.client.request('workspace.list', { projectId: project.projectId }, timeout()),
        );
      }
      for (const target of order) {
        const project = target.projects[i % target.projects.length]!;
        const workspaceId = project.workspaceIds[Math.floor(i / target.projects.length) % project.workspaceIds.length]!;
        await timed(target, 'update', () =>
          target.client.request(
            'workspace.update',
            { id: workspaceId, patch: { data: { prompt: `latency ${i}`, sentAt: nowMs() } } },
            timeout(),
          ),
        );
      }
    }
  } finally {
    await Promise.all(targets.flatMap((target) => [target.client.close(), target.subscriber.close()]));
  }
  return targets.map((target) => ({
    subscribe: target.hist.subscribe.summary(),
    list: target.hist.list.summary(),
    update: target.hist.update.summary(),
    errors: target.errors,
    firstError: target.firstError,
    timedOut,
  }));
}

export interface StormCommand {
  cmd: 'storm';
  url: string;
  clients: number;
  projectId: string;
  timeoutMs: number;
}

export interface StormResult {
  clients: number;
  /** From the first connection attempt until every connection received its hello. */
  helloMs: number | null;
  /** From sending every subscribe at once until the last ack (with its snapshot) arrived. */
  subscribeMs: number | null;
  subscribed: number;
  failed: number;
  firstError: string | null;
}

/** Opens `clients` connections at once, then has every one subscribe to one project at once. */
export async function storm(command: StormCommand): Promise<StormResult> {
  const deadline = nowMs() + command.timeoutMs;
  const timeout = (): number => Math.max(1_000, deadline - nowMs());
  let firstError: string | null = null;
  const note = (error: unknown): null => {
    firstError ??= error instanceof Error ? error.message : String(error);
    return null;
  };
  const connectStarted = nowMs();
  const opened = await Promise.all(
    Array.from({ length: command.clients }, () =>
      BenchClient.connect(command.url, 'ours', { timeoutMs: timeout() }).catch(note),
    ),
  );
  const helloMs = nowMs() - connectStarted;
  const clients = opened.filter((client): client is BenchClient => client !== null);
  try {
    const subscribeStarted = nowMs();
    const acks = await Promise.all(
      clients.map((client) =>
        client.request('subscribe', { projectId: command.projectId }, timeout()).then(
          () => true,
          (error: unknown) => note(error) ?? false,
        ),
      ),
    );
    const subscribeMs = nowMs() - subscribeStarted;
    const subscribed = acks.filter(Boolean).length;
    return {
      clients: command.clients,
      helloMs: clients.length === command.clients ? helloMs : null,
      subscribeMs: subscribed === command.clients ? subscribeMs : null,
      subscribed,
      failed: command.clients - subscribed,
      firstError,
    };
  } finally {
    for (let i = 0; i < clients.length; i += 500)
      await Promise.all(clients.slice(i, i + 500).map((client) => client.close()));
  }
}
