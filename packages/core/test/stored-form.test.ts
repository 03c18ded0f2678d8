import { randomUUID } from 'node:crypto';
import type { JsonObject } from '@app/protocol';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createCore, type Core } from '../src/core.js';
import type { ProjectDoc, StoredEventDoc, WorkspaceDoc } from '../src/db/models.js';
import { requestHash } from '../src/hash.js';
import { createTestCore, silentLogger } from '../src/testing.js';

const ctx = { subject: 'anonymous' };
let core: Core & { dbName: string };
let n = 0;
const project = () => `sf${(n += 1)}`;

/** Another node on the same database (it knows only what is stored). */
function peerCore(): Promise<Core> {
  return createCore({ mongodbUri: inject('mongodbUri'), dbName: core.dbName, logger: silentLogger() });
}

beforeAll(async () => {
  core = await createTestCore(inject('mongodbUri'));
});
afterAll(async () => {
  await core.close();
});

describe('stored form of client values (ADR 0004)', () => {
  it('stores event and workspace data as JSON text, which any backend keeps as it is', async () => {
    const p = project();
    const data = {
      keyframes: [
        [0, 1],
        [2, [3, []]],
      ],
      empty: [[], [[]]],
      __proto__: 1,
      s: '\ud800 \u{1f98a}',
      max: Number.MAX_VALUE,
      min: 5e-324,
    };
    const withProtoKey = JSON.parse(
      JSON.stringify(data).replace('"__proto__":1', '"__proto__":{"x":[[1]]}'),
    ) as JsonObject;
    const { workspace } = await core.service.create(
      { projectId: p, name: 'A', data: withProtoKey },
      { ...ctx, requestId: 'sf-1', origin: { sessionId: 's', requestId: 'r\udc00' } },
    );
    await core.service.flush();
    const event = await core.models.Event.findById(`${p}:1`).lean<StoredEventDoc>().exec();
    expect(typeof event!.data).toBe('string');
    expect(event!.data).toBe(JSON.stringify({ workspace }));
    expect(event!.origin).toBe(JSON.stringify({ sessionId: 's', requestId: 'r\udc00' }));
    const doc = await core.models.Workspace.findById(workspace.id).lean<WorkspaceDoc>().exec();
    expect(doc!.data).toBe(JSON.stringify(withProtoKey));

    const other = await peerCore();
    try {
      const got = await other.service.get(workspace.id);
      expect(JSON.stringify(got.data)).toBe(JSON.stringify(withProtoKey));
      const replay = await other.service.replay(p, 0);
      expect(JSON.stringify(await other.service.eventsBetween(p, 0, replay.seq))).toBe(
        JSON.stringify([
          {
            type: 'workspace.created',
            projectId: p,
            seq: 1,
            data: { workspace },
            origin: { sessionId: 's', requestId: 'r\udc00' },
          },
        ]),
      );
    } finally {
      await other.close();
    }
  });

  it('loads events, heads and workspace documents written by the previous version (plain objects)', async () => {
    const p = project();
    const epoch = randomUUID();
    const createdAt = '2026-11-01T10:00:00.000Z';
    const a = {
      id: randomUUID(),
      projectId: p,
      name: 'A',
      position: 0,
      version: 2,
      data: { prompt: 'fox', n: [1, { b: true }] },
      createdAt,
      updatedAt: createdAt,
    };
    const b = {
      id: randomUUID(),
      projectId: p,
      name: 'B',
      position: 1,
      version: 1,
      data: { prompt: 'owl' },
      createdAt,
      updatedAt: createdAt,
    };
    const events = [
      {
        seq: 1,
        key: JSON.stringify(['anonymous', 'old-1']),
        type: 'workspace.created',
        data: { workspace: { ...a, version: 1, data: {} } },
        origin: { sessionId: 'old', requestId: 'old-1' },
      },
      { seq: 2, key: `~${p}:2`, type: 'workspace.created', data: { workspace: b }, origin: { source: 'rest' } },
      { seq: 3, key: `~${p}:3`, type: 'workspace.updated', data: { workspace: a }, origin: { source: 'rest' } },
    ];
    // Written as the previous version wrote them, through the driver.
    await core.models.Project.collection.insertOne({
      _id: p as never,
      epoch,
      seq: 2,
      order: [a.id, b.id],
      lastSeqs: { [a.id]: 1, [b.id]: 2 },
      createdAt: new Date(),
    });
    await core.models.Event.collection.insertMany(
      events.map((e) => ({
        _id: `${p}:${e.seq}`,
        projectId: p,
        requestHash: requestHash('workspace.create', { projectId: p, name: 'A' }),
        createdAt: new Date(),
        ...e,
      })) as never[],
    );
    await core.models.Workspace.collection.insertMany([
      {
        _id: a.id as never,
        projectId: p,
        name: 'A',
        version: 1,
        data: {},
        createdAt: new Date(createdAt),
        updatedAt: new Date(createdAt),
        lastSeq: 1,
      },
      {
        _id: b.id as never,
        projectId: p,
        name: 'B',
        version: 1,
        data: { prompt: 'owl' },
        createdAt: new Date(createdAt),
        updatedAt: new Date(createdAt),
        lastSeq: 2,
      },
    ]);
    await core.models.Request.collection.insertOne({ _id: events[0]!.key as never, projectId: p, seq: 1 });

    const other = await peerCore();
    try {
      expect(await other.service.list(p)).toEqual({ seq: 3, workspaces: [a, b] });
      expect(await other.service.get(b.id)).toEqual(b);
      const replay = await other.service.replay(p, 0, epoch);
      expect(replay).toEqual({ epoch, seq: 3 });
      expect(await other.service.eventsBetween(p, 0, replay.seq)).toEqual(
        events.map((e) => ({ type: e.type, projectId: p, seq: e.seq, data: e.data, origin: e.origin })),
      );
      // A retry of a request applied by the previous version gets its original answer.
      expect(await other.service.create({ projectId: p, name: 'A' }, { ...ctx, requestId: 'old-1' })).toEqual(
        events[0]!.data,
      );
      // Writing on top of it stores the new form next to the old.
      const updated = await other.service.update(
        { id: b.id, patch: { data: { prompt: [['owl']] } }, expectedVersion: 1 },
        ctx,
      );
      await other.service.flush();
      expect(typeof (await core.models.Event.findById(`${p}:4`).lean<StoredEventDoc>().exec())!.data).toBe('string');
      expect((await core.models.Workspace.findById(b.id).lean<WorkspaceDoc>().exec())!.data).toBe(
        '{"prompt":[["owl"]]}',
      );
      expect(await other.service.list(p)).toEqual({ seq: 4, workspaces: [a, updated.workspace] });
    } finally {
      await other.close();
    }
    const third = await peerCore();
    try {
      expect(await third.service.list(p)).toMatchObject({
        seq: 4,
        workspaces: [a, { id: b.id, data: { prompt: [['owl']] } }],
      });
    } finally {
      await third.close();
    }
  });

  it('a project without events reports the epoch its log gets, on every node; another database gives another', async () => {
    const p = project();
    const other = await peerCore();
    try {
      const empty = await other.service.snapshot(p);
      expect(empty).toMatchObject({ seq: 0, workspaces: [] });
      expect(await core.models.Project.countDocuments({ _id: p })).toBe(0);
      await core.service.create({ projectId: p, name: 'A' }, ctx);
      expect(await core.service.snapshot(p)).toMatchObject({ epoch: empty.epoch, seq: 1 });
      expect((await core.models.Project.findById(p).lean<ProjectDoc>().exec())!.epoch).toBe(empty.epoch);
      expect(await other.service.snapshot(p)).toMatchObject({ epoch: empty.epoch, seq: 1 });
      expect(await other.service.replay(p, 0, empty.epoch)).toEqual({ epoch: empty.epoch, seq: 1 });
      expect(await other.service.eventsBetween(p, 0, 1)).toMatchObject([{ seq: 1 }]);
    } finally {
      await other.close();
    }
    const fresh = await createTestCore(inject('mongodbUri'));
    try {
      const elsewhere = await fresh.service.snapshot(p);
      expect(elsewhere.epoch).not.toBe((await core.service.snapshot(p)).epoch);
      expect(await fresh.service.replay(p, 0, (await core.service.snapshot(p)).epoch)).toMatchObject({
        seq: 0,
        resync: true,
      });
    } finally {
      await fresh.close();
    }
  });
});
