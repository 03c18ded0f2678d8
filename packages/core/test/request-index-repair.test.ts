// A request id whose `requests` index entry could not be written after its event was stored and
// acked: a retry is still answered with the original ack (not refused against the state its first
// attempt produced), and the entry is written again.
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createCore, type Core } from '../src/core.js';
import { EventLog } from '../src/event-log.js';
import {
  bsonString,
  silentLogger,
  singleHostOf,
  startDbProxy,
  testDbName,
  viaPort,
  type DbProxy,
} from '../src/testing.js';

const dbName = testDbName('requests');
let proxy: DbProxy;
let node: Core;
let direct: Core;

beforeAll(async () => {
  proxy = await startDbProxy(singleHostOf(inject('mongodbUri'))!);
  direct = await createCore({ mongodbUri: inject('mongodbUri'), dbName, logger: silentLogger() });
  node = await createCore({ mongodbUri: viaPort(inject('mongodbUri'), proxy.port), dbName, logger: silentLogger() });
});
afterAll(async () => {
  await node.close();
  await direct.connection.dropDatabase().catch(() => {});
  await direct.close();
  await proxy.close();
});

describe('a lost request-index entry', () => {
  it('is repaired: a retry whose plan now fails gets the original ack, and the entry is written', async () => {
    const p = 'lost-index-entry';
    const { workspace } = await node.service.create({ projectId: p, name: 'W' }, { subject: 's' });
    const ctx = { subject: 's', requestId: 'u1' };
    const update = { id: workspace.id, patch: { name: 'B' }, expectedVersion: 1 };
    proxy.dropNext(bsonString('insert', 'requests')); // the index write after the event insert never arrives
    const first = await node.service.update(update, ctx);
    expect(first.workspace).toMatchObject({ name: 'B', version: 2 });

    // The cut connection made the driver check the server: the retry comes once it answers again.
    await vi.waitFor(() => expect(node.connection.readyState).toBe(1), { timeout: 10_000, interval: 20 });
    // The retry plans against version 2 (it expects 1): only the index tells it was applied.
    const retried = await node.service.update(update, ctx);
    expect(retried).toEqual(first);
    const key = EventLog.requestKey(ctx.subject, ctx.requestId);
    await vi.waitFor(
      async () => expect(await direct.models.Request.findById(key).lean().exec()).toMatchObject({ seq: 2 }),
      {
        timeout: 10_000,
        interval: 50,
      },
    );
    // Another node, which knows the request only from the index, answers it the same way.
    expect(await direct.service.update(update, ctx)).toEqual(first);
    expect((await direct.service.list(p)).seq).toBe(2);
  });
});
