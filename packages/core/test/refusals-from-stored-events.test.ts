// No refusal is derived from an event that is not stored (docs/decisions/0011-refusals-only-from-stored-events.md):
// a refusal planned behind events of its own batch waits for them, and is planned again when another
// node takes their seq. Two nodes on the real database; the one writing through a proxy is held
// between planning and storing its batch while the other stores the next seq.
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
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

const dbName = testDbName('stored');
let proxy: DbProxy;
let held: Core;
let other: Core;

beforeAll(async () => {
  proxy = await startDbProxy(singleHostOf(inject('mongodbUri'))!);
  other = await createCore({ mongodbUri: inject('mongodbUri'), dbName, logger: silentLogger() });
  held = await createCore({ mongodbUri: viaPort(inject('mongodbUri'), proxy.port), dbName, logger: silentLogger() });
});
afterAll(async () => {
  proxy.release();
  await held.close();
  await other.connection.dropDatabase().catch(() => {});
  await other.close();
  await proxy.close();
});

describe('a refusal planned behind an event of its batch', () => {
  it('is planned again from stored state when another node takes that seq', async () => {
    const p = 'refusal-behind-lost-seq';
    const ctx = (requestId: string) => ({ subject: 's', requestId });
    const { workspace } = await held.service.create({ projectId: p, name: 'W' }, ctx('c'));
    // A read keeps the project's queue busy (its catch-up read is held), so both writes join one batch.
    proxy.hold();
    const listed = held.service.list(p);
    const deleted = held.service.delete({ id: workspace.id, expectedVersion: 1 }, ctx('a')).then(
      (ack) => ({ ack }),
      (error: unknown) => ({ error }),
    );
    const updated = held.service.update({ id: workspace.id, patch: { name: 'B' } }, ctx('b')).then(
      (ack) => ({ ack }),
      (error: unknown) => ({ error }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    // The batch plans the delete at seq 2 and the update behind it; its insert waits in the proxy.
    proxy.holdFrom(bsonString('insert', 'events'));
    proxy.release();
    expect((await listed).seq).toBe(1);
    await vi.waitFor(() => expect(proxy.heldBytes).toBeGreaterThan(0), { timeout: 10_000, interval: 10 });
    // Meanwhile the other node stores seq 2: the workspace lives on, at version 2.
    const moved = await other.service.update({ id: workspace.id, patch: { name: 'Y' } }, ctx('y'));
    expect(moved.workspace.version).toBe(2);
    proxy.release();

    // The delete lost its seq and is refused against the version that is stored; the update was
    // never refused for a delete that was not stored: it applies on top of the other node's write.
    expect(await deleted).toMatchObject({
      error: { code: 'CONFLICT', details: { workspace: { version: 2, name: 'Y' } } },
    });
    expect(await updated).toMatchObject({ ack: { workspace: { version: 3, name: 'B' } } });
    const list = await other.service.list(p);
    expect(list.seq).toBe(3);
    expect(list.workspaces).toMatchObject([{ id: workspace.id, name: 'B', version: 3 }]);
  });
});
