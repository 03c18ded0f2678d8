// Several nodes writing one project at once: every valid write lands (contention is never an
// error), each exactly once, and the requests of one caller apply in the order it sent them.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createCore, type Core } from '../src/core.js';
import { Sequencer } from '../src/keyed-queue.js';
import { createTestCore, silentLogger } from '../src/testing.js';

let first: Core & { dbName: string };
const peers: Core[] = [];

beforeAll(async () => {
  first = await createTestCore(inject('mongodbUri'));
  for (let i = 0; i < 2; i += 1)
    peers.push(await createCore({ mongodbUri: inject('mongodbUri'), dbName: first.dbName, logger: silentLogger() }));
});
afterAll(async () => {
  await Promise.all(peers.map((peer) => peer.close()));
  await first.close();
});

describe('three nodes writing one project', () => {
  it('land every update once, none refused, each writer in the order it sent them', async () => {
    const nodes = [first, ...peers];
    const p = 'contended';
    const { workspace } = await first.service.create({ projectId: p, name: 'shared' }, { subject: 's' });
    const writers = 6;
    const perWriter = 100;
    const results = await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        const node = nodes[w % nodes.length]!;
        const ctx = { subject: 's', sequencer: new Sequencer() }; // one connection: its requests in the order sent
        const send = (i: number) =>
          node.service.update({ id: workspace.id, patch: { data: { w, i } } }, { ...ctx, requestId: `w${w}-${i}` });
        if (w % 2 === 0) return Promise.allSettled(Array.from({ length: perWriter }, (_, i) => send(i))); // pipelined
        const outcomes: PromiseSettledResult<Awaited<ReturnType<typeof send>>>[] = []; // one at a time: many small rounds
        for (let i = 0; i < perWriter; i += 1) outcomes.push(...(await Promise.allSettled([send(i)])));
        return outcomes;
      }),
    );
    const refused = results.flat().filter((outcome) => outcome.status === 'rejected');
    expect(refused.map((outcome) => String((outcome as PromiseRejectedResult).reason))).toEqual([]);

    const list = await first.service.list(p);
    expect(list.seq).toBe(1 + writers * perWriter);
    const events = await first.service.eventsBetween(p, 1, list.seq);
    expect(events).toHaveLength(writers * perWriter);
    const applied = events.map(
      (event) => (event.data as unknown as { workspace: { data: { w: number; i: number } } }).workspace.data,
    );
    for (let w = 0; w < writers; w += 1) {
      const mine = applied.filter((data) => data.w === w).map((data) => data.i);
      expect(mine).toEqual(Array.from({ length: perWriter }, (_, i) => i)); // once each, in the order sent
    }
    // What each writer was answered is what the log holds at that seq.
    for (const [w, outcomes] of results.entries()) {
      for (const [i, outcome] of outcomes.entries()) {
        const ack = (outcome as PromiseFulfilledResult<{ workspace: { version: number; data: unknown } }>).value;
        expect(ack.workspace.data).toEqual({ w, i });
        expect(events[ack.workspace.version - 2]?.data).toEqual({ workspace: ack.workspace });
      }
    }
  }, 60_000);
});
