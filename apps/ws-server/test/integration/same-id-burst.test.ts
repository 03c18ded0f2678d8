import { fromStoredEvent, type StoredEventDoc } from '@app/core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BurstClient } from '../helpers/burst-client.js';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { TestPeer, type Frame } from '../helpers/test-peer.js';

let server: TestServer;
let peer: TestPeer;

beforeAll(async () => {
  server = await startServer(inject('mongodbUri'), { limits: { rateBurst: 1_000, ratePerSec: 1_000 } });
  peer = await TestPeer.connect(server.url);
});
afterAll(async () => {
  await peer.close();
  await server.close();
});

async function storedEvents(projectId: string) {
  const docs = await server.core.models.Event.find({ projectId }).sort({ seq: 1 }).lean<StoredEventDoc[]>().exec();
  return docs.map((doc) => fromStoredEvent(doc)!);
}

describe('the same request id many times in one burst', () => {
  it.each([10, 100])(
    '%i identical workspace.update frames in one write all get the original ack; it is applied once',
    async (copies) => {
      const projectId = `burst-${copies}`;
      const { workspace } = await peer.ok<{ workspace: Frame }>('workspace.create', { projectId, name: 'A' });
      const client = await BurstClient.connect(server.url);
      try {
        const frame = {
          type: 'workspace.update',
          id: `same-${copies}`,
          data: { id: workspace['id'], patch: { name: 'B', data: { n: [[copies]] } } },
        };
        client.send(Array.from({ length: copies }, () => frame));
        await client.until((frames) => frames.filter((f) => f['id'] === frame.id).length === copies);
        const replies = client.frames.filter((f) => f['id'] === frame.id);
        expect(replies.filter((f) => f.type !== 'ack')).toEqual([]);
        const first = replies[0]!['data'] as { workspace: Frame };
        expect(first.workspace).toMatchObject({ name: 'B', version: 2, data: { n: [[copies]] } });
        for (const reply of replies) expect(reply['data']).toEqual(first);
      } finally {
        await client.close();
      }
      const events = await storedEvents(projectId);
      expect(events.map((e) => [e.seq, e.type])).toEqual([
        [1, 'workspace.created'],
        [2, 'workspace.updated'],
      ]);
      expect(await peer.ok('workspace.list', { projectId })).toMatchObject({
        seq: 2,
        workspaces: [{ version: 2, name: 'B' }],
      });
    },
  );

  it('a burst of one id with a failing first copy plans each copy again (a failure is not remembered)', async () => {
    const projectId = 'burst-conflict';
    const { workspace } = await peer.ok<{ workspace: Frame }>('workspace.create', { projectId, name: 'A' });
    const client = await BurstClient.connect(server.url);
    try {
      const frame = {
        type: 'workspace.update',
        id: 'same-conflict',
        data: { id: workspace['id'], patch: { name: 'B' }, expectedVersion: 7 },
      };
      client.send(Array.from({ length: 20 }, () => frame));
      await client.until((frames) => frames.filter((f) => f['id'] === frame.id).length === 20);
      const codes = client.frames.filter((f) => f['id'] === frame.id).map((f) => f['code']);
      expect(codes).toEqual(Array.from({ length: 20 }, () => 'CONFLICT'));
    } finally {
      await client.close();
    }
    expect((await storedEvents(projectId)).map((e) => e.seq)).toEqual([1]);
  });
});
