// A write whose outcome the server cannot know (the connection broke after the event insert was
// sent): the writer gets UNAVAILABLE, yet a stored event still reaches subscribers without another
// write, a retry with the same id is answered with what was applied, and a workspace it created is
// found by id on every node even if its node dies right then.
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { ServerEvent } from '@app/protocol';
import { createCore, type Core } from '../src/core.js';
import {
  bsonString,
  silentLogger,
  singleHostOf,
  startDbProxy,
  testDbName,
  viaPort,
  type DbProxy,
} from '../src/testing.js';

const dbName = testDbName('unknown');
let proxy: DbProxy;
let direct: Core;
const eventInsert = bsonString('insert', 'events');

beforeAll(async () => {
  proxy = await startDbProxy(singleHostOf(inject('mongodbUri'))!);
  direct = await createCore({ mongodbUri: inject('mongodbUri'), dbName, logger: silentLogger() });
});
afterAll(async () => {
  await direct.connection.dropDatabase().catch(() => {});
  await direct.close();
  await proxy.close();
});

function throughProxy(): Promise<Core> {
  return createCore({
    mongodbUri: viaPort(inject('mongodbUri'), proxy.port),
    dbName,
    logger: silentLogger(),
    dbTimeoutMs: 2_000,
  });
}

describe('a write of unknown outcome', () => {
  it('is announced to subscribers once the database answers again, and its retry gets the original answer', async () => {
    const node = await throughProxy();
    try {
      const p = 'unknown-update';
      const { workspace } = await node.service.create({ projectId: p, name: 'A' }, { subject: 's' });
      const received: ServerEvent[] = [];
      const stop = node.bus.subscribe(p, (event) => received.push(event));
      const cut = proxy.cutAfter(eventInsert);
      const ctx = { subject: 's', requestId: 'u1' };
      await expect(node.service.update({ id: workspace.id, patch: { name: 'B' } }, ctx)).rejects.toMatchObject({
        code: 'UNAVAILABLE',
      });
      await cut;
      // No other write: the stored event still arrives.
      await vi.waitFor(() => expect(received.map((event) => event.seq)).toContain(2), {
        timeout: 10_000,
        interval: 50,
      });
      expect(received.find((event) => event.seq === 2)).toMatchObject({
        type: 'workspace.updated',
        data: { workspace: { name: 'B', version: 2 } },
      });
      const retried = await node.service.update({ id: workspace.id, patch: { name: 'B' } }, ctx);
      expect(retried.workspace).toMatchObject({ name: 'B', version: 2 });
      expect((await direct.service.list(p)).seq).toBe(2);
      stop();
    } finally {
      await node.close();
    }
  });

  it('leaves a created workspace findable by id on another node when its node dies right after', async () => {
    const p = 'unknown-create';
    // Running already (a node that starts repairs lagging projects, which would hide the problem).
    const other = await createCore({ mongodbUri: inject('mongodbUri'), dbName, logger: silentLogger() });
    const node = await throughProxy();
    const cut = proxy.cutAfter(eventInsert);
    await expect(
      node.service.create({ projectId: p, name: 'lost ack' }, { subject: 's', requestId: 'c1' }),
    ).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await cut;
    await node.close(); // the node dies: it announces and repairs nothing
    try {
      const [event] = await direct.service.eventsBetween(p, 0, 1);
      const id = (event?.data as { workspace: { id: string } }).workspace.id;
      expect((await other.service.get(id)).name).toBe('lost ack');
      const updated = await other.service.update({ id, patch: { name: 'found' } }, { subject: 's' });
      expect(updated.workspace).toMatchObject({ name: 'found', version: 2 });
    } finally {
      await other.close();
    }
  });
});
