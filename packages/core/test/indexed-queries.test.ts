// Every query the write and read paths send is answered from an index: the filters are `_id`
// equalities or `_id` lists (`$in`, how the event log reads a range of seqs; the shapes FerretDB v1's
// SQLite backend pushes down with the project's patches, and MongoDB's fastest), and the database's
// own query plan for each of them uses an index (SQLite's `EXPLAIN QUERY PLAN` through FerretDB's
// `explain`, or MongoDB's winning plan). Without scripts/ferretdb-patches/0001 FerretDB plans `SCAN`
// for every equality, and without 0002 for every `_id` list.
import mongoose, { type Connection, type mongo } from 'mongoose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { InProcessBus } from '../src/bus/in-process.js';
import { createModels, type Models } from '../src/db/models.js';
import { silentLogger, testDbName } from '../src/testing.js';
import { WorkspaceService } from '../src/workspace-service.js';

const dbName = testDbName('idx');
let connection: Connection;
let models: Models;
const commands: mongo.CommandStartedEvent[] = [];

beforeAll(async () => {
  connection = mongoose.createConnection(inject('mongodbUri'), {
    dbName,
    autoIndex: false,
    autoCreate: false,
    monitorCommands: true,
  });
  await connection.asPromise();
  models = await createModels(connection);
  connection.getClient().on('commandStarted', (event) => commands.push(event));
});
afterAll(async () => {
  await connection.dropDatabase().catch(() => {});
  await connection.close();
});

function service(): WorkspaceService {
  return new WorkspaceService({ models, bus: new InProcessBus(), logger: silentLogger(), projectionDelayMs: 0 });
}

/** Each filter a command applies to stored documents, with its collection. */
function filtersOf(event: mongo.CommandStartedEvent): { collection: string; filter: Record<string, unknown> }[] {
  const command = event.command as Record<string, unknown>;
  switch (event.commandName) {
    case 'find':
      return [{ collection: String(command['find']), filter: (command['filter'] ?? {}) as Record<string, unknown> }];
    case 'update':
      return (command['updates'] as { q: Record<string, unknown> }[]).map((u) => ({
        collection: String(command['update']),
        filter: u.q,
      }));
    case 'delete':
      return (command['deletes'] as { q: Record<string, unknown> }[]).map((d) => ({
        collection: String(command['delete']),
        filter: d.q,
      }));
    default:
      return [];
  }
}

const isIdEquality = (filter: Record<string, unknown>): boolean =>
  Object.keys(filter).length === 1 && typeof filter['_id'] === 'string';

/** `{_id: {$in: [<strings>]}}`. */
const isIdList = (filter: Record<string, unknown>): boolean => {
  const id = filter['_id'] as Record<string, unknown> | undefined;
  return (
    Object.keys(filter).length === 1 &&
    typeof id === 'object' &&
    id !== null &&
    Object.keys(id).length === 1 &&
    Array.isArray(id['$in']) &&
    (id['$in'] as unknown[]).every((value) => typeof value === 'string')
  );
};
const isIdLookup = (filter: Record<string, unknown>): boolean => isIdEquality(filter) || isIdList(filter);

/** The `_id`s a filter of `events` names (one, or a list). */
function idsOf(filter: Record<string, unknown> | undefined): string[] {
  const id = filter?.['_id'];
  if (typeof id === 'string') return [id];
  return ((id as { $in?: string[] } | undefined)?.$in ?? []).map(String);
}

/** The database's plan for reading `filter`: true when an index answers it. */
async function usesIndex(
  collection: string,
  filter: Record<string, unknown>,
): Promise<{ indexed: boolean; plan: string }> {
  const explained = (await connection.db!.command({
    explain: { find: collection, filter },
    verbosity: 'queryPlanner',
  })) as Record<string, unknown>;
  const planner = explained['queryPlanner'] as Record<string, unknown>;
  if ('Plan' in planner) {
    // FerretDB (SQLite backend): the rows of EXPLAIN QUERY PLAN.
    const plan = (planner['Plan'] as string[]).join(' | ');
    return {
      indexed: /\bSEARCH\b.*\bUSING (INDEX|PRIMARY KEY|INTEGER PRIMARY KEY)\b/.test(plan) && !/\bSCAN\b/.test(plan),
      plan,
    };
  }
  const plan = JSON.stringify(planner['winningPlan']);
  return { indexed: !plan.includes('COLLSCAN'), plan };
}

describe('queries of the hot path', () => {
  it('are _id equalities or _id lists, each answered from an index by the database', async () => {
    const writer = service();
    const ctx = { subject: 'alice' };
    const p = 'indexed-queries';
    const a = (await writer.create({ projectId: p, name: 'A', data: { prompt: 'fox' } }, { ...ctx, requestId: 'c1' }))
      .workspace;
    const b = (await writer.create({ projectId: p, name: 'B' }, ctx)).workspace;
    await writer.update({ id: a.id, patch: { name: 'A2' }, expectedVersion: 1 }, { ...ctx, requestId: 'u1' });
    await writer.reorder({ projectId: p, order: [b.id, a.id] }, ctx);
    await writer.delete({ id: b.id }, ctx);
    // Retries: the same id again (the idempotency look-up), and one whose version moved on.
    await writer.create({ projectId: p, name: 'A', data: { prompt: 'fox' } }, { ...ctx, requestId: 'c1' });
    await writer.update({ id: a.id, patch: { name: 'A2' }, expectedVersion: 1 }, { ...ctx, requestId: 'u1' });
    await writer.flush();
    // A crash after the event insert: events past the head, found by the start-up repair.
    await writer.update({ id: a.id, patch: { name: 'A3' } }, ctx);
    await models.Project.collection.updateOne({ _id: p as never }, { $set: { seq: 4 } });

    commands.length = 0;
    const reader = service(); // a node that has not loaded the project: load, catch-up, reads by id
    expect(await reader.repairAll()).toBe(1);
    expect((await reader.list(p)).workspaces.map((w) => w.name)).toEqual(['A3']);
    expect((await reader.snapshot(p)).seq).toBe(6);
    expect(await reader.replay(p, 2)).toMatchObject({ seq: 6 });
    expect((await reader.eventsBetween(p, 2, 6)).map((event) => event.seq)).toEqual([3, 4, 5, 6]);
    expect((await reader.eventsBetween(p, 4)).map((event) => event.seq)).toEqual([5, 6]);
    expect((await reader.get(a.id)).name).toBe('A3');
    await expect(reader.get(b.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await reader.update({ id: a.id, patch: { name: 'A4' } }, ctx);
    await reader.create({ projectId: p, name: 'A', data: { prompt: 'fox' } }, { ...ctx, requestId: 'c1' });
    await reader.flush();
    const sent = [...commands];

    const names = new Set(sent.map((event) => event.commandName));
    expect([...names].filter((name) => !['find', 'insert', 'update', 'delete'].includes(name))).toEqual([]);
    const filters = sent.flatMap(filtersOf);
    expect(new Set(filters.map((f) => f.collection))).toEqual(
      new Set(['projects', 'workspaces', 'events', 'requests', 'directory']),
    );
    // The start-up repair reads every project head once (it has to see them all); nothing else is unkeyed.
    const unkeyed = filters.filter((f) => !isIdLookup(f.filter));
    expect(unkeyed).toEqual([{ collection: 'projects', filter: {} }]);

    const checked = new Set<string>();
    for (const { collection, filter } of filters.filter((f) => isIdLookup(f.filter))) {
      const shape = `${collection} ${isIdList(filter) ? 'list' : 'equality'}`;
      if (checked.has(shape)) continue;
      checked.add(shape);
      const { indexed, plan } = await usesIndex(collection, filter);
      expect({ collection, filter, plan, indexed }).toMatchObject({ indexed: true });
    }
    expect(checked).toEqual(
      new Set(['projects equality', 'workspaces equality', 'events list', 'requests equality', 'directory equality']),
    );
  });
});

describe('a burst of reads of one project', () => {
  it('shares one catch-up read of the log, and a read that arrives after another node wrote still sees the write', async () => {
    const p = 'read-burst';
    const writer = service();
    const reader = service();
    const { workspace } = await writer.create({ projectId: p, name: 'A' }, { subject: 'alice' });
    expect((await reader.snapshot(p)).seq).toBe(1); // loaded
    // The read-model writes the load and the create scheduled (each catches up with the log first) are
    // done before the burst is counted: with a delay of 0 they may otherwise land inside it under load.
    await reader.flush();
    await writer.flush();

    commands.length = 0;
    const snapshots = await Promise.all(Array.from({ length: 200 }, () => reader.snapshot(p)));
    expect(snapshots.every((snapshot) => snapshot.seq === 1)).toBe(true);
    const logReads = commands.filter(
      (event) => event.commandName === 'find' && (event.command as { find?: string }).find === 'events',
    );
    expect(logReads.length).toBe(1);

    await writer.update({ id: workspace.id, patch: { name: 'A2' } }, { subject: 'alice' });
    const after = await Promise.all(Array.from({ length: 20 }, () => reader.list(p)));
    expect(after.map((list) => list.seq)).toEqual(Array.from({ length: 20 }, () => 2));
    expect(after[0]!.workspaces[0]!.name).toBe('A2');
  });
});

describe('replays of one project by many readers at once', () => {
  it('read each event from the database at most once, then from memory', async () => {
    const p = 'replay-burst';
    const writer = service();
    const { workspace } = await writer.create({ projectId: p, name: 'A' }, { subject: 'alice' });
    for (let i = 0; i < 30; i += 1)
      await writer.update({ id: workspace.id, patch: { name: `A${i}` } }, { subject: 'alice' });
    await writer.flush();
    const reader = service(); // as after a restart: nothing in memory

    commands.length = 0;
    const replays = await Promise.all(Array.from({ length: 50 }, () => reader.eventsBetween(p, 1, 31)));
    expect(replays.every((events) => events.length === 30 && events[0]!.seq === 2 && events[29]!.seq === 31)).toBe(
      true,
    );
    const reads = new Map<string, number>();
    for (const event of commands) {
      const { find, filter } = event.command as { find?: string; filter?: Record<string, unknown> };
      if (event.commandName === 'find' && find === 'events')
        for (const id of idsOf(filter)) reads.set(id, (reads.get(id) ?? 0) + 1);
    }
    const replayed = Array.from({ length: 30 }, (_, i) => `${p}:${i + 2}`);
    expect(replayed.map((id) => reads.get(id) ?? 0)).toEqual(replayed.map(() => 1));
    commands.length = 0;
    expect((await reader.eventsBetween(p, 10, 31)).length).toBe(21);
    expect(
      commands.filter(
        (event) => event.commandName === 'find' && (event.command as { find?: string }).find === 'events',
      ),
    ).toEqual([]);
  });
});

describe('events held in memory', () => {
  it('come back as the same wire objects on every read, so a frame is encoded once however many readers replay it', async () => {
    const p = 'same-wire';
    const writer = service();
    const { workspace } = await writer.create({ projectId: p, name: 'A' }, { subject: 'alice' });
    await writer.update({ id: workspace.id, patch: { name: 'B' } }, { subject: 'alice' });
    const first = await writer.eventsBetween(p, 0, 2);
    const second = await writer.eventsBetween(p, 0, 2);
    expect(second).toHaveLength(2);
    expect(second.every((event, i) => event === first[i])).toBe(true);
  });
});
