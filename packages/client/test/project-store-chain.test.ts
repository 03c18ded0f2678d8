import { describe, expect, it } from 'vitest';
import { ProjectStore } from '../src/project-store.js';
import { ModelServer, manualSchedule } from './helpers/model-server.js';

// Updates of one workspace made while an earlier one is on its way: the store sends them after its ack, on
// the version the ack reports, and fails them with it: never over another client's write it has not seen.

/** Runs the queued work until none is left, then gives the promise's outcome. */
async function settle<T>(work: ReturnType<typeof manualSchedule>, promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  await work.drain();
  return promise;
}

async function setup() {
  const work = manualSchedule();
  const server = new ModelServer(work.schedule);
  const a = new ProjectStore(server.connect('a'), server.projectId);
  const b = new ProjectStore(server.connect('b'), server.projectId);
  await work.drain();
  const w = await settle(work, a.create({ name: 'v1' }));
  await work.drain();
  return { work, server, a, b, w };
}

describe('ProjectStore: pipelined updates of one workspace', () => {
  it('a quick second edit waits for the first one’s ack and fails with it when another client wrote first', async () => {
    const { work, server, a, b, w } = await setup();
    // a edits twice on version 1; b edits on version 1 too and reaches the server first.
    const first = a.update(w.id, { name: 'a1' });
    const second = a.update(w.id, { name: 'a2' });
    expect(a.getSnapshot().workspaces[0]!.name).toBe('a2'); // shown at once
    const fromB = b.update(w.id, { name: 'b' });
    const settled = Promise.allSettled([first, second, fromB]);
    await work.drain();
    const [one, two, three] = await settled;
    // Which of a's first edit and b's edit wins depends on the order: the labels are FIFO, so a's went first.
    expect(one.status).toBe('fulfilled');
    expect(three.status).toBe('rejected');
    expect(two.status).toBe('fulfilled');
    expect(server.violations).toEqual([]);
    expect(a.getSnapshot().workspaces).toEqual(server.workspaces);
    expect(b.getSnapshot().workspaces).toEqual(server.workspaces);
  });

  it('the other client wins the race: both of a’s edits are refused, b’s write stays', async () => {
    const work = manualSchedule();
    const server = new ModelServer(work.schedule);
    const ca = server.connect('a');
    const a = new ProjectStore(ca, server.projectId);
    const b = new ProjectStore(server.connect('b'), server.projectId);
    await work.drain();
    const w = await (async () => {
      const created = a.create({ name: 'v1' });
      await work.drain();
      return created;
    })();
    await work.drain();

    const fromB = b.update(w.id, { name: 'b' }); // queued first: the server takes it first
    const first = a.update(w.id, { name: 'a1' });
    const second = a.update(w.id, { name: 'a2' });
    const third = a.update(w.id, { data: { prompt: 'a3' } }); // merged with the second
    expect(a.getSnapshot().queued).toBe(3);
    const outcomes = await (async () => {
      const all = Promise.allSettled([fromB, first, second, third]);
      await work.drain();
      return all;
    })();
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'rejected']);
    expect(outcomes.slice(1).map((o) => (o as PromiseRejectedResult).reason.code)).toEqual([
      'CONFLICT',
      'CONFLICT',
      'CONFLICT',
    ]);
    // Only a's first edit reached the server; the waiting ones were never sent.
    expect(server.workspaces.map((x) => [x.name, x.version])).toEqual([['b', 2]]);
    expect(server.violations).toEqual([]);
    expect(a.getSnapshot().workspaces).toEqual(server.workspaces);
    // Two failures: the refused edit and the merged waiting ones (what the person typed last, to overwrite with).
    expect(a.getSnapshot().failures.map((f) => [f.kind, f.patch])).toEqual([
      ['update', { name: 'a1' }],
      ['update', { name: 'a2', data: { prompt: 'a3' } }],
    ]);
  });

  it('sends the waiting edits as one request on the acked version, and a draft started before its own edits is not a conflict', async () => {
    const { work, server, a, w } = await setup();
    const draftBase = a.expectedVersion(w.id); // a draft starts on version 1
    const edits = [a.update(w.id, { name: 'x' }), a.update(w.id, { name: 'xy' }), a.update(w.id, { name: 'xyz' })];
    expect(a.getSnapshot().queued).toBe(3);
    const done = Promise.all(edits);
    await work.drain();
    expect((await done).map((x) => x.version)).toEqual([2, 3, 3]);
    // The draft's base is older than this client's own two writes: they are its own, so it is not stale.
    const draft = a.update(w.id, { data: { prompt: 'p' } }, { expectedVersion: draftBase! });
    await work.drain();
    await expect(draft).resolves.toMatchObject({ version: 4, name: 'xyz', data: { prompt: 'p' } });
    expect(server.violations).toEqual([]);
    expect(a.getSnapshot().pendingIds.size).toBe(0);
    expect(a.getSnapshot().workspaces).toEqual(server.workspaces);
  });
});
