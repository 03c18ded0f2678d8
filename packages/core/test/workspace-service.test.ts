import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ServerEvent } from '@app/protocol';
import { createTestCore } from '../src/testing.js';
import type { Core } from '../src/core.js';
import { Sequencer } from '../src/keyed-queue.js';

let core: Core;
const ctx = { subject: 'anonymous' };
let n = 0;
const project = () => `p${(n += 1)}`;

beforeAll(async () => {
  core = await createTestCore(inject('mongodbUri'));
});
afterAll(async () => {
  await core.close();
});

function collect(projectId: string): { events: ServerEvent[]; stop: () => void } {
  const events: ServerEvent[] = [];
  const stop = core.bus.subscribe(projectId, (event) => events.push(event));
  return { events, stop };
}

/** Resolves with the published event of `seq` (listening starts now, so call it before the write). */
async function published(projectId: string, seq: number): Promise<ServerEvent> {
  return new Promise((resolve) => {
    const stop = core.bus.subscribe(projectId, (event) => {
      if (event.seq !== seq) return;
      stop();
      resolve(event);
    });
  });
}

describe('WorkspaceService', () => {
  it('creates workspaces at the end by default, clamps and inserts positions', async () => {
    const p = project();
    const a = await core.service.create({ projectId: p, name: 'A', data: { prompt: 'fox' } }, ctx);
    const b = await core.service.create({ projectId: p, name: 'B' }, ctx);
    const c = await core.service.create({ projectId: p, name: 'C', position: 0 }, ctx);
    const d = await core.service.create({ projectId: p, name: 'D', position: 99 }, ctx);
    expect(a.workspace).toMatchObject({ projectId: p, name: 'A', position: 0, version: 1, data: { prompt: 'fox' } });
    expect(b.workspace.position).toBe(1);
    expect(c.workspace.position).toBe(0);
    expect(d.workspace.position).toBe(3);
    const list = await core.service.list(p);
    expect(list.seq).toBe(4);
    expect(list.workspaces.map((w) => w.name)).toEqual(['C', 'A', 'B', 'D']);
    expect(list.workspaces.map((w) => w.position)).toEqual([0, 1, 2, 3]);
    expect(list.workspaces[1]?.data).toEqual({ prompt: 'fox' });
    expect(list.workspaces[0]?.data).toEqual({});
    expect(new Date(a.workspace.createdAt).toISOString()).toBe(a.workspace.createdAt);
  });

  it('lists an unknown project as empty with seq 0', async () => {
    expect(await core.service.list('never-used')).toEqual({ workspaces: [], seq: 0 });
  });

  it('updates with and without expectedVersion; a stale version gets CONFLICT with the current workspace', async () => {
    const p = project();
    const { workspace } = await core.service.create({ projectId: p, name: 'A' }, ctx);
    const u1 = await core.service.update({ id: workspace.id, patch: { name: 'A2' }, expectedVersion: 1 }, ctx);
    expect(u1.workspace).toMatchObject({ name: 'A2', version: 2, data: {} });
    const u2 = await core.service.update({ id: workspace.id, patch: { data: { x: [1, { y: null }] } } }, ctx);
    expect(u2.workspace).toMatchObject({ name: 'A2', version: 3, data: { x: [1, { y: null }] } });
    await expect(
      core.service.update({ id: workspace.id, patch: { name: 'late' }, expectedVersion: 2 }, ctx),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { workspace: { id: workspace.id, version: 3, name: 'A2' } },
    });
    expect((await core.service.get(workspace.id)).version).toBe(3);
  });

  it('replaces data entirely on update', async () => {
    const p = project();
    const { workspace } = await core.service.create({ projectId: p, name: 'A', data: { a: 1, b: 2 } }, ctx);
    const { workspace: after } = await core.service.update({ id: workspace.id, patch: { data: { c: 3 } } }, ctx);
    expect(after.data).toEqual({ c: 3 });
  });

  it('returns NOT_FOUND for unknown workspaces', async () => {
    await expect(core.service.update({ id: 'nope', patch: { name: 'x' } }, ctx)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(core.service.delete({ id: 'nope' }, ctx)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(core.service.get('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('deletes, shifting later positions; a stale expectedVersion is a CONFLICT', async () => {
    const p = project();
    const a = (await core.service.create({ projectId: p, name: 'A' }, ctx)).workspace;
    const b = (await core.service.create({ projectId: p, name: 'B' }, ctx)).workspace;
    await expect(core.service.delete({ id: a.id, expectedVersion: 7 }, ctx)).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    expect(await core.service.delete({ id: a.id, expectedVersion: 1 }, ctx)).toEqual({ id: a.id });
    const list = await core.service.list(p);
    expect(list.workspaces.map((w) => [w.id, w.position])).toEqual([[b.id, 0]]);
    await expect(core.service.get(a.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('reorders with a permutation without changing versions; anything else is a CONFLICT with the current order', async () => {
    const p = project();
    const ids: string[] = [];
    for (const name of ['A', 'B', 'C']) ids.push((await core.service.create({ projectId: p, name }, ctx)).workspace.id);
    const reversed = [...ids].reverse();
    expect(await core.service.reorder({ projectId: p, order: reversed }, ctx)).toEqual({ order: reversed });
    const list = await core.service.list(p);
    expect(list.workspaces.map((w) => w.id)).toEqual(reversed);
    expect(list.workspaces.every((w) => w.version === 1)).toBe(true);
    for (const bad of [ids.slice(0, 2), [...ids, 'x'], [ids[0]!, ids[0]!, ids[1]!], [ids[0]!, ids[1]!, 'zz']]) {
      await expect(core.service.reorder({ projectId: p, order: bad }, ctx)).rejects.toMatchObject({
        code: 'CONFLICT',
        details: { order: reversed },
      });
    }
  });

  it('reorder of a project that has no events is NOT_FOUND and creates no event', async () => {
    const p = project();
    await expect(core.service.reorder({ projectId: p, order: [] }, ctx)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await core.service.list(p)).seq).toBe(0);
  });

  it('assigns gapless seqs and publishes each event once, in order, after the write', async () => {
    const p = project();
    const { events, stop } = collect(p);
    const first = published(p, 1);
    const { workspace } = await core.service.create(
      { projectId: p, name: 'A' },
      { subject: 's', requestId: 'r1', origin: { sessionId: 'S', requestId: 'r1' } },
    );
    expect(events).toHaveLength(0); // published after the caller got its result
    expect(await first).toMatchObject({
      type: 'workspace.created',
      seq: 1,
      origin: { sessionId: 'S', requestId: 'r1' },
    });
    const inOrder = { ...ctx, sequencer: new Sequencer() };
    await Promise.all([
      core.service.update({ id: workspace.id, patch: { name: 'B' } }, inOrder),
      core.service.update({ id: workspace.id, patch: { name: 'C' } }, inOrder),
      core.service.reorder({ projectId: p, order: [workspace.id] }, inOrder),
    ]);
    const last = published(p, 5);
    await core.service.delete({ id: workspace.id }, ctx);
    await last;
    stop();
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(events.map((e) => e.type)).toEqual([
      'workspace.created',
      'workspace.updated',
      'workspace.updated',
      'workspace.reordered',
      'workspace.deleted',
    ]);
  });

  it('applies a mutation once per (subject, request id) and answers the retry with the original result', async () => {
    const p = project();
    const input = { projectId: p, name: 'Once' };
    const first = await core.service.create(input, { subject: 'alice', requestId: 'req-1' });
    const again = await core.service.create(input, { subject: 'alice', requestId: 'req-1' });
    expect(again).toEqual(first);
    const other = await core.service.create(input, { subject: 'bob', requestId: 'req-1' });
    expect(other.workspace.id).not.toBe(first.workspace.id);
    expect((await core.service.list(p)).workspaces).toHaveLength(2);
    await expect(
      core.service.create({ projectId: p, name: 'Different' }, { subject: 'alice', requestId: 'req-1' }),
    ).rejects.toMatchObject({
      code: 'INVALID_MESSAGE',
    });
    const del = { id: first.workspace.id };
    expect(await core.service.delete(del, { subject: 'alice', requestId: 'del-1' })).toEqual(del);
    expect(await core.service.delete(del, { subject: 'alice', requestId: 'del-1' })).toEqual(del);
    expect((await core.service.list(p)).seq).toBe(3);
  });

  it('commits many concurrent mutations of one project together: all applied, seqs gapless, duplicates once', async () => {
    const p = project();
    const created = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        core.service.create({ projectId: p, name: `w${i}`, position: 0 }, { subject: 's', requestId: `c${i}` }),
      ),
    );
    const updates = await Promise.all([
      ...created.map(({ workspace }, i) =>
        core.service.update({ id: workspace.id, patch: { data: { i } } }, { subject: 's', requestId: `u${i}` }),
      ),
      // the same request id twice in flight: applied once, both answered alike
      core.service.update({ id: created[0]!.workspace.id, patch: { name: 'dup' } }, { subject: 's', requestId: 'dup' }),
      core.service.update({ id: created[0]!.workspace.id, patch: { name: 'dup' } }, { subject: 's', requestId: 'dup' }),
    ]);
    expect(updates[40]).toEqual(updates[41]);
    const list = await core.service.list(p);
    expect(list.seq).toBe(81);
    expect(list.workspaces).toHaveLength(40);
    expect(list.workspaces.map((w) => w.position)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    const events = await core.models.Event.find({ projectId: p }).sort({ seq: 1 }).lean();
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 81 }, (_, i) => i + 1));
    for (const [i, { workspace }] of created.entries()) {
      const stored = list.workspaces.find((w) => w.id === workspace.id)!;
      expect(stored.data).toEqual({ i });
      expect(stored.version).toBe(i === 0 ? 3 : 2);
    }
  });

  it('answers many retries of applied requests at once with their original results (a client resending to a new node)', async () => {
    const p = project();
    const { workspace } = await core.service.create({ projectId: p, name: 'A' }, ctx);
    const requests = Array.from({ length: 30 }, (_, i) => ({
      input: { id: workspace.id, patch: { data: { i } } },
      ctx: { subject: 's', requestId: `again-${i}` },
    }));
    const first = await Promise.all(requests.map((r) => core.service.update(r.input, r.ctx)));
    const other = await createTestCore(inject('mongodbUri'), (core as Core & { dbName: string }).dbName);
    try {
      // A node that never saw them: each plans, and the log refuses its key.
      const again = await Promise.all(requests.map((r) => other.service.update(r.input, r.ctx)));
      expect(again).toEqual(first);
      expect((await other.service.list(p)).seq).toBe(31);
    } finally {
      await other.connection.close();
    }
  });

  it('lets exactly one of many concurrent same-version updates win', async () => {
    const p = project();
    const { workspace } = await core.service.create({ projectId: p, name: 'A' }, ctx);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        core.service.update({ id: workspace.id, patch: { name: `v${i}` }, expectedVersion: 1 }, ctx),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected).toHaveLength(9);
    for (const r of rejected) expect(r.reason).toMatchObject({ code: 'CONFLICT' });
    expect((await core.service.get(workspace.id)).version).toBe(2);
  });

  it('replays events after sinceSeq, answers resync for a future seq or another epoch', async () => {
    const p = project();
    const snap0 = await core.service.snapshot(p);
    expect(snap0).toMatchObject({ seq: 0, workspaces: [] });
    for (const name of ['A', 'B', 'C']) await core.service.create({ projectId: p, name }, ctx);
    const replay = await core.service.replay(p, 1, snap0.epoch);
    expect(replay).toEqual({ epoch: snap0.epoch, seq: 3 });
    expect((await core.service.eventsBetween(p, 1, replay.seq)).map((e) => e.seq)).toEqual([2, 3]);
    expect((await core.service.eventsBetween(p, 1, replay.seq, 1)).map((e) => e.seq)).toEqual([2]);
    expect(await core.service.replay(p, 3)).toEqual({ epoch: snap0.epoch, seq: 3 });
    expect(await core.service.replay(p, 4)).toEqual({ epoch: snap0.epoch, seq: 3, resync: true });
    expect(await core.service.replay(p, 1, 'other-epoch')).toMatchObject({ resync: true });
    const snap = await core.service.snapshot(p);
    expect(snap.epoch).toBe(snap0.epoch);
    expect(snap.workspaces.map((w) => w.name)).toEqual(['A', 'B', 'C']);
  });

  it('repairs the read model from events stored without their projection (crash between the two writes)', async () => {
    const p = project();
    const { workspace } = await core.service.create({ projectId: p, name: 'A' }, ctx);
    // Simulate a crash after the event insert of an update: store the event only.
    const updated = { ...workspace, name: 'Repaired', version: 2 };
    await core.models.Event.collection.insertOne({
      _id: `${p}:2`,
      projectId: p,
      seq: 2,
      key: `~${p}:2`,
      type: 'workspace.updated',
      data: { workspace: updated },
      order: [workspace.id],
      createdAt: new Date(),
    } as never);
    const other = await createTestCore(inject('mongodbUri'), (core as Core & { dbName: string }).dbName);
    try {
      expect((await other.models.Workspace.findById(workspace.id).lean())?.name).toBe('Repaired');
      expect((await other.models.Project.findById(p).lean())?.seq).toBe(2);
      const next = await other.service.update({ id: workspace.id, patch: { name: 'Next' }, expectedVersion: 2 }, ctx);
      expect(next.workspace.version).toBe(3);
    } finally {
      await other.connection.close();
    }
  });
});
