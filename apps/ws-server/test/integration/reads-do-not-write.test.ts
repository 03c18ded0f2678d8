import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { TestPeer, type Frame } from '../helpers/test-peer.js';

let server: TestServer;
let reader: TestPeer;
let writer: TestPeer;

beforeAll(async () => {
  server = await startServer(inject('mongodbUri'));
  [reader, writer] = await Promise.all([TestPeer.connect(server.url), TestPeer.connect(server.url)]);
});
afterAll(async () => {
  await Promise.all([reader.close(), writer.close()]);
  await server.close();
});

/** What the database holds of a project, in each collection, read directly. */
async function stored(projectId: string): Promise<Record<string, number>> {
  const { Project, Event, Workspace, Request } = server.core.models;
  return {
    projects: await Project.countDocuments({ _id: projectId }),
    events: await Event.countDocuments({ projectId }),
    workspaces: await Workspace.countDocuments({ projectId }),
    requests: await Request.countDocuments({ projectId }),
  };
}

describe('reads do not write', () => {
  it('subscribe, replay, list and a refused reorder of a project that does not exist store nothing', async () => {
    const projectId = 'never-written';
    expect(await reader.ok('subscribe', { projectId })).toEqual({ epoch: expect.any(String), seq: 0, snapshot: [] });
    expect(await reader.ok('subscribe', { projectId: `${projectId}-2`, sinceSeq: 0 })).toEqual({
      epoch: expect.any(String),
      seq: 0,
      replayed: 0,
    });
    expect(await reader.ok('subscribe', { projectId: `${projectId}-3`, sinceSeq: 4, epoch: 'some-epoch' })).toEqual({
      epoch: expect.any(String),
      seq: 0,
      resync: true,
    });
    expect(await reader.ok('workspace.list', { projectId: `${projectId}-4` })).toEqual({ workspaces: [], seq: 0 });
    expect(await reader.request('workspace.reorder', { projectId: `${projectId}-5`, order: [] })).toMatchObject({
      type: 'error',
      code: 'NOT_FOUND',
    });
    await server.core.service.flush();
    for (const id of ['', '-2', '-3', '-4', '-5']) {
      expect(await stored(`${projectId}${id}`), id).toEqual({ projects: 0, events: 0, workspaces: 0, requests: 0 });
    }
  });

  it('a subscriber of a project that does not exist yet gets its first events, and resumes in the epoch it was told', async () => {
    const projectId = 'born-later';
    const ack = await reader.ok<{ epoch: string; seq: number }>('subscribe', { projectId });
    expect(ack).toEqual({ epoch: expect.any(String), seq: 0, snapshot: [] });
    expect(await stored(projectId)).toEqual({ projects: 0, events: 0, workspaces: 0, requests: 0 });

    const { workspace } = await writer.ok<{ workspace: Frame }>(
      'workspace.create',
      { projectId, name: 'First' },
      'first-create',
    );
    const event = await reader.eventWithSeq(projectId, 1);
    expect(event).toMatchObject({ type: 'workspace.created', data: { workspace: { id: workspace['id'] } } });
    await server.core.service.flush();
    expect(await stored(projectId)).toEqual({ projects: 1, events: 1, workspaces: 1, requests: 1 });
    // The log was created with the epoch the empty project reported.
    expect((await server.core.models.Project.findById(projectId).lean().exec())?.epoch).toBe(ack.epoch);
    await writer.ok('workspace.create', { projectId, name: 'Second' });
    await reader.eventWithSeq(projectId, 2);

    // Clients that saw the project empty, or its first event, resume with that epoch.
    const late = await TestPeer.connect(server.url);
    try {
      expect(await late.ok('subscribe', { projectId, sinceSeq: 0, epoch: ack.epoch })).toEqual({
        epoch: ack.epoch,
        seq: 2,
        replayed: 2,
      });
      expect(await late.ok('subscribe', { projectId, sinceSeq: 1, epoch: ack.epoch })).toEqual({
        epoch: ack.epoch,
        seq: 2,
        replayed: 1,
      });
      expect(late.events(projectId).map((e) => e['seq'])).toEqual([1, 2, 2]);
      expect(late.events(projectId)[0]).toEqual(event);
    } finally {
      await late.close();
    }
  });
});
