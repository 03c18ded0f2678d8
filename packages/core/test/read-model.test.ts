import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createCore, type Core } from '../src/core.js';
import type { ProjectDoc, WorkspaceDoc } from '../src/db/models.js';
import { createTestCore, silentLogger } from '../src/testing.js';

// The read model (workspace documents, project heads) is written after the ack, coalesced. These
// tests hold it back (a long delay) to show that nothing a client sees depends on it being current.
const HELD_BACK = { projectionDelayMs: 60_000 };
const ctx = { subject: 'anonymous' };
let core: Core & { dbName: string };
let n = 0;
const project = () => `rm${(n += 1)}`;

/** Another node on the same database. */
function peerCore(): Promise<Core> {
  return createCore({ mongodbUri: inject('mongodbUri'), dbName: core.dbName, logger: silentLogger(), ...HELD_BACK });
}

const workspaceDoc = (id: string) => core.models.Workspace.findById(id).lean<WorkspaceDoc>().exec();
const head = (projectId: string) => core.models.Project.findById(projectId).lean<ProjectDoc>().exec();

beforeAll(async () => {
  core = await createTestCore(inject('mongodbUri'), undefined, HELD_BACK);
});
afterAll(async () => {
  await core.close();
});

describe('read model', () => {
  it('acks before the read model is written, then writes the commits since in one go', async () => {
    const p = project();
    const { workspace } = await core.service.create({ projectId: p, name: 'A' }, ctx);
    await core.service.update({ id: workspace.id, patch: { name: 'B' } }, ctx);
    await core.service.update({ id: workspace.id, patch: { name: 'C' } }, ctx);

    // Stored at once: the document of a new workspace (so every node finds its project). Not yet: the rest.
    expect(await workspaceDoc(workspace.id)).toMatchObject({ name: 'A', version: 1, lastSeq: 1 });
    expect((await head(p))?.seq).toBe(0);
    expect(await core.service.list(p)).toMatchObject({ seq: 3, workspaces: [{ name: 'C', version: 3 }] });

    await core.service.flush();
    expect(await workspaceDoc(workspace.id)).toMatchObject({ name: 'C', version: 3, lastSeq: 3 });
    expect(await head(p)).toMatchObject({ seq: 3, order: [workspace.id], lastSeqs: { [workspace.id]: 3 } });
  });

  it('another node reads and writes the newest state before the read model is written', async () => {
    const p = project();
    const other = await peerCore();
    try {
      const { workspace } = await core.service.create({ projectId: p, name: 'A' }, ctx);
      await core.service.update({ id: workspace.id, patch: { name: 'B' } }, ctx);
      expect(await other.service.list(p)).toMatchObject({ seq: 2, workspaces: [{ name: 'B', version: 2 }] });

      const second = await other.service.update({ id: workspace.id, patch: { name: 'C' }, expectedVersion: 2 }, ctx);
      expect(second.workspace.version).toBe(3);
      // This node's cached state says version 2: the write is checked against the log, not refused.
      const third = await core.service.update({ id: workspace.id, patch: { name: 'D' }, expectedVersion: 3 }, ctx);
      expect(third.workspace).toMatchObject({ name: 'D', version: 4, position: 0 });
      await expect(
        other.service.update({ id: workspace.id, patch: { name: 'E' }, expectedVersion: 3 }, ctx),
      ).rejects.toMatchObject({
        code: 'CONFLICT',
      });
      expect(await other.service.get(workspace.id)).toMatchObject({ name: 'D', version: 4 });
    } finally {
      await other.close();
    }
  });

  it('two nodes writing one project at once: each update stored once, the read model equal to the fold of the log', async () => {
    const p = project();
    const other = await peerCore();
    try {
      const created = await Promise.all(
        [0, 1, 2, 3].map((i) => core.service.create({ projectId: p, name: `w${i}` }, ctx)),
      );
      const ids = created.map((c) => c.workspace.id);
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          (i % 2 === 0 ? core : other).service.update(
            { id: ids[i % 4]!, patch: { data: { i } } },
            { subject: 's', requestId: `both-${i}` },
          ),
        ),
      );
      await Promise.all([core.service.flush(), other.service.flush()]);
      const listed = await core.service.list(p);
      expect(listed.seq).toBe(44);
      expect(await other.service.list(p)).toEqual(listed);
      const docs = await core.models.Workspace.find({ projectId: p }).lean<WorkspaceDoc[]>().exec();
      expect(docs).toHaveLength(4);
      for (const workspace of listed.workspaces) {
        expect(docs.find((doc) => doc._id === workspace.id)).toMatchObject({
          version: workspace.version,
          data: JSON.stringify(workspace.data),
        });
      }
      expect(await head(p)).toMatchObject({ seq: 44, order: ids });
    } finally {
      await other.close();
    }
  });

  it('a workspace whose creating node died before storing its document is found by every node', async () => {
    const p = project();
    await core.service.create({ projectId: p, name: 'first' }, ctx);
    const other = await peerCore();
    const third = await peerCore();
    // Another node stored the event of a create, then died: no workspace document, no request index.
    const now = new Date().toISOString();
    const lost = {
      id: randomUUID(),
      projectId: p,
      name: 'lost',
      position: 1,
      version: 1,
      data: {},
      createdAt: now,
      updatedAt: now,
    };
    await core.models.Event.collection.insertOne({
      _id: `${p}:2`,
      projectId: p,
      seq: 2,
      key: JSON.stringify(['anonymous', 'r-lost']),
      type: 'workspace.created',
      data: { workspace: lost },
      createdAt: new Date(),
    } as never);
    try {
      // The client retries on a second node and learns the workspace from the stored event...
      const retried = await other.service.create(
        { projectId: p, name: 'lost' },
        { subject: 'anonymous', requestId: 'r-lost' },
      );
      expect(retried.workspace).toEqual(lost);
      // ...and a third node, which never loaded the project, finds it.
      const updated = await third.service.update({ id: lost.id, patch: { name: 'found' } }, ctx);
      expect(updated.workspace).toMatchObject({ name: 'found', version: 2 });
    } finally {
      await Promise.all([other.close(), third.close()]);
    }
  });

  it('trusts a workspace document only at the seq the head names, and repairs the rest when written', async () => {
    const p = project();
    const a = (await core.service.create({ projectId: p, name: 'A' }, ctx)).workspace;
    const b = (await core.service.create({ projectId: p, name: 'B' }, ctx)).workspace;
    await core.service.update({ id: a.id, patch: { name: 'A2' } }, ctx);
    await core.service.delete({ id: b.id }, ctx);
    await core.service.flush();
    expect(await head(p)).toMatchObject({ seq: 4, order: [a.id], lastSeqs: { [a.id]: 3 } });

    // A late writer on another node: puts back an older A, and a B that was deleted meanwhile.
    await core.models.Workspace.collection.updateOne(
      { _id: a.id as never },
      { $set: { name: 'A', version: 1, lastSeq: 1 } },
    );
    const now = new Date();
    await core.models.Workspace.collection.insertOne({
      _id: b.id as never,
      ...{ projectId: p, name: 'B', version: 1, data: {}, createdAt: now, updatedAt: now, lastSeq: 2 },
    });

    const other = await peerCore();
    try {
      expect(await other.service.list(p)).toMatchObject({ seq: 4, workspaces: [{ id: a.id, name: 'A2', version: 2 }] });
      await other.service.flush();
      expect(await workspaceDoc(a.id)).toMatchObject({ name: 'A2', version: 2, lastSeq: 3 });
      // Loading reads by primary key only the workspaces the head lists, so the put-back B is met when
      // it is asked for: it answers as deleted, and the next write of the read model removes it.
      await expect(other.service.get(b.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(other.service.update({ id: b.id, patch: { name: 'B2' } }, ctx)).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      await other.service.flush();
      expect(await workspaceDoc(b.id)).toBeNull();
    } finally {
      await other.close();
    }
  });

  it('rebuilds a workspace whose head names a video status (which carries only the video) from the log', async () => {
    const p = project();
    const a = (await core.service.create({ projectId: p, name: 'A' }, ctx)).workspace;
    await core.service.recordVideoStatus(p, { workspaceId: a.id, jobId: 'j1', status: 'queued' });
    await core.service.update({ id: a.id, patch: { name: 'A2' } }, ctx);
    await core.service.recordVideoStatus(p, { workspaceId: a.id, jobId: 'j1', status: 'running', progress: 0.5 });
    await core.service.recordVideoStatus(p, {
      workspaceId: a.id,
      jobId: 'j1',
      status: 'succeeded',
      progress: 1,
      videoUrl: '/videos/j1.mp4',
    });
    await core.service.flush();
    const video = { jobId: 'j1', status: 'succeeded', progress: 1, videoUrl: '/videos/j1.mp4' };
    expect(await head(p)).toMatchObject({ seq: 5, lastSeqs: { [a.id]: 5 } });
    expect(await workspaceDoc(a.id)).toMatchObject({ name: 'A2', version: 2, lastSeq: 5, video });

    // A late writer puts back the document as of the first status: the head names seq 5, a status event.
    await core.models.Workspace.collection.updateOne(
      { _id: a.id as never },
      { $set: { name: 'A', version: 1, lastSeq: 2, video: { jobId: 'j1', status: 'queued' } } },
    );
    const other = await peerCore();
    try {
      expect((await other.service.list(p)).workspaces).toMatchObject([{ id: a.id, name: 'A2', version: 2, video }]);
      await other.service.flush();
      expect(await workspaceDoc(a.id)).toMatchObject({ name: 'A2', version: 2, lastSeq: 5, video });
    } finally {
      await other.close();
    }
  });

  it('writes the read model of a project with hundreds of changed workspaces at once', async () => {
    const p = project();
    const created = await Promise.all(
      Array.from({ length: 300 }, (_, i) => core.service.create({ projectId: p, name: `w${i}`, data: { i } }, ctx)),
    );
    await Promise.all(
      created.map(({ workspace }) =>
        core.service.update({ id: workspace.id, patch: { name: `${workspace.name}+` } }, ctx),
      ),
    );
    await core.service.flush(); // 300 updates of existing documents: FerretDB v1 never answers one command that large
    expect(await head(p)).toMatchObject({ seq: 600 });
    expect(await workspaceDoc(created[299]!.workspace.id)).toMatchObject({ name: 'w299+', version: 2, lastSeq: 600 });
  });
});
