import { describe, expect, it } from 'vitest';
import { ProjectStore } from '../src/project-store.js';
import { ModelServer, manualSchedule, type Fault } from './helpers/model-server.js';

// A change whose outcome is unknown (UNAVAILABLE, TIMEOUT, ...) is sent again with the same request id, a
// bounded number of times; only a real refusal rolls it back, and a last failure can be retried by the app.

type Work = ReturnType<typeof manualSchedule>;

async function settle<T>(work: Work, promise: Promise<T>): Promise<PromiseSettledResult<T>> {
  const [outcome] = await Promise.allSettled([promise, work.drain()]);
  return outcome;
}

async function setup(faults: Fault[] = []) {
  const work = manualSchedule();
  const server = new ModelServer(work.schedule);
  const delays: number[] = [];
  const store = (name: string) =>
    new ProjectStore(server.connect(name), server.projectId, undefined, {
      retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 1_000 },
      random: () => 0.5,
      setTimeout: (run, ms) => {
        delays.push(ms);
        work.schedule('timer', run);
      },
    });
  const a = store('a');
  await work.drain();
  server.faults = faults;
  return { work, server, a, store, delays };
}

describe('ProjectStore: outcome unknown is not a refusal', () => {
  it('an update answered UNAVAILABLE after it was applied is retried with its id and kept', async () => {
    const { work, server, a, delays } = await setup();
    const w = ((await settle(work, a.create({ name: 'one' }))) as PromiseFulfilledResult<{ id: string }>).value;
    server.faults = ['apply-unavailable'];
    const outcome = await settle(work, a.update(w.id, { name: 'two' }));
    expect(outcome).toMatchObject({ status: 'fulfilled', value: { name: 'two', version: 2 } });
    expect(delays).toEqual([50]); // full jitter: random 0.5 x base 100
    expect([...server.applied.values()]).toEqual([1, 1]);
    expect(a.getSnapshot().failures).toEqual([]);
    expect(a.getSnapshot().workspaces).toEqual(server.workspaces);
  });

  it('a create whose reply is lost is sent again with the same id: one workspace, never two', async () => {
    const { work, server, a } = await setup(['apply-lost', 'apply-lost']);
    const outcome = await settle(work, a.create({ name: 'once' }));
    expect(outcome.status).toBe('fulfilled');
    expect(server.workspaces.map((w) => w.name)).toEqual(['once']);
    expect(a.getSnapshot()).toMatchObject({ failures: [], pendingIds: new Set(), queued: 0 });
    expect(a.getSnapshot().workspaces).toEqual(server.workspaces);
  });

  it('after the last attempt it stays shown as unconfirmed; retry() sends the same request again', async () => {
    const { work, server, a } = await setup(['unavailable', 'lost', 'unavailable']);
    const outcome = await settle(work, a.create({ name: 'maybe' }));
    expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'UNAVAILABLE' } });
    const snapshot = a.getSnapshot();
    expect(snapshot.workspaces.map((w) => w.name)).toEqual(['maybe']); // not rolled back
    expect(snapshot.pendingIds.size).toBe(1);
    const [failure] = snapshot.failures;
    expect(failure).toMatchObject({ kind: 'create', outcome: 'unconfirmed', error: { code: 'UNAVAILABLE' } });
    expect(failure!.request).toEqual({
      type: 'workspace.create',
      id: failure!.id,
      data: { name: 'maybe', projectId: server.projectId },
    });
    expect(await settle(work, failure!.retry!())).toMatchObject({ status: 'fulfilled' });
    expect(server.workspaces.map((w) => w.name)).toEqual(['maybe']);
    expect(a.getSnapshot()).toMatchObject({ failures: [], pendingIds: new Set(), queued: 0 });
  });

  it('an applied change whose answers were all lost is confirmed by its event', async () => {
    const { work, server, a } = await setup(['apply-unavailable', 'unavailable', 'unavailable']);
    await settle(work, a.create({ name: 'applied' }));
    expect(server.workspaces.map((w) => w.name)).toEqual(['applied']);
    expect(a.getSnapshot()).toMatchObject({ failures: [], pendingIds: new Set(), queued: 0 });
    expect(a.getSnapshot().workspaces).toEqual(server.workspaces);
  });

  it('a refusal is not retried: rolled back at once, reported as refused', async () => {
    const { work, server, a, store } = await setup();
    const b = store('b');
    await work.drain();
    const w = ((await settle(work, a.create({ name: 'one' }))) as PromiseFulfilledResult<{ id: string }>).value;
    const stale = b.expectedVersion(w.id);
    await settle(work, a.update(w.id, { name: 'a' }));
    const outcome = await settle(work, b.update(w.id, { name: 'b' }, { expectedVersion: stale! }));
    expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'CONFLICT' } });
    expect(b.getSnapshot().failures).toMatchObject([{ outcome: 'refused', retry: undefined }]);
    expect(b.getSnapshot().workspaces).toEqual(server.workspaces);
    expect(server.workspaces[0]!.name).toBe('a');
  });

  it('updates waiting behind an unconfirmed one wait for its retry, or fail when it is dismissed', async () => {
    const { work, server, a } = await setup();
    const w = ((await settle(work, a.create({ name: 'one' }))) as PromiseFulfilledResult<{ id: string }>).value;
    server.faults = ['unavailable', 'unavailable', 'unavailable'];
    const first = a.update(w.id, { name: 'two' });
    const second = a.update(w.id, { name: 'three' });
    await settle(work, first);
    expect(a.getSnapshot().workspaces[0]!.name).toBe('three');
    const [failure] = a.getSnapshot().failures;
    expect(failure!.outcome).toBe('unconfirmed');
    await settle(work, failure!.retry!());
    await expect(second).resolves.toMatchObject({ name: 'three', version: 3 });

    server.faults = ['unavailable', 'unavailable', 'unavailable'];
    const third = a.update(w.id, { name: 'four' });
    const fourth = a.update(w.id, { name: 'five' });
    await settle(work, third);
    a.dismiss(a.getSnapshot().failures[0]!.id);
    await expect(fourth).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await work.drain();
    expect(a.getSnapshot().failures.map((f) => [f.outcome, f.patch, f.request])).toEqual([
      ['refused', { name: 'five' }, undefined],
    ]);
    expect(a.getSnapshot().workspaces).toEqual(server.workspaces);
    expect(server.workspaces[0]!.name).toBe('three');
  });
});
