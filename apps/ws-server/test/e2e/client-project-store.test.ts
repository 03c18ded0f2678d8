import { ProtocolError, createClient, type Client, type ProjectSnapshot, type ProjectStore } from '@app/client';
import { testDbName } from '@app/core/testing';
import WebSocket from 'ws';
import { afterAll, describe, expect, inject, it, vi } from 'vitest';
// @ts-expect-error plain ES module without types
import { freePort } from '../../../../scripts/embedded-db.mjs';
import { startServer, type TestServer } from '../helpers/start-server.js';

const mongodbUri = inject('mongodbUri');
const servers: TestServer[] = [];
const clients: Client[] = [];

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  for (const server of servers) await server.close();
});

async function start(options: { port?: number; dbName?: string } = {}): Promise<TestServer> {
  const server = await startServer(mongodbUri, options);
  servers.push(server);
  return server;
}

function client(url: string): Client {
  const c = createClient({ url, WebSocket, reconnect: { minDelayMs: 10, baseDelayMs: 30, maxDelayMs: 200 } });
  clients.push(c);
  return c;
}

/** The `ws` class with a switch that holds every frame the client sends until released (a slow uplink). */
function gatedWebSocket() {
  let held: Array<() => void> | undefined;
  class Gated extends WebSocket {
    override send(data: string): void {
      if (held === undefined) super.send(data);
      else held.push(() => super.send(data));
    }
  }
  return {
    WebSocket: Gated,
    hold: () => (held = []),
    release: () => {
      const frames = held ?? [];
      held = undefined;
      for (const send of frames) send();
    },
  };
}

async function ready(store: ProjectStore): Promise<ProjectSnapshot> {
  await vi.waitFor(() => expect(store.getSnapshot().status).toBe('ready'));
  return store.getSnapshot();
}

const names = (store: ProjectStore): string[] => store.getSnapshot().workspaces.map((w) => w.name);

/** Settled: nothing of this client waits for the server, and both stores show the same list. */
async function converged(a: ProjectStore, b: ProjectStore): Promise<void> {
  await vi.waitFor(() => {
    expect(a.getSnapshot().pendingIds.size).toBe(0);
    expect(b.getSnapshot().pendingIds.size).toBe(0);
    expect(b.getSnapshot().seq).toBe(a.getSnapshot().seq);
    expect(b.getSnapshot().workspaces).toEqual(a.getSnapshot().workspaces);
  });
}

describe('client.project(id): the live project store against the real server', () => {
  it('shows its own changes at once and follows another client’s: create, rename, reorder, delete', async () => {
    const server = await start();
    const projectId = 'store-live';
    const a = client(server.url).project(projectId);
    const b = client(server.url).project(projectId);
    expect(a.getSnapshot().status).toBe('loading');
    await ready(a);
    await ready(b);

    const created = a.create({ name: 'Intro', data: { prompt: 'a red fox' } });
    // Optimistic: the stand-in is there before any reply, marked pending.
    const standIn = a.getSnapshot().workspaces[0]!;
    expect(standIn.name).toBe('Intro');
    expect(a.getSnapshot().pendingIds.has(standIn.id)).toBe(true);
    expect(a.getSnapshot().queued).toBe(1);
    const intro = await created;
    await a.create({ name: 'Outro' });
    await converged(a, b);
    expect(names(b)).toEqual(['Intro', 'Outro']);
    expect(a.getSnapshot().workspaces[0]!.id).toBe(intro.id);

    await b.update(intro.id, { name: 'Intro shot' });
    await converged(a, b);
    expect(names(a)).toEqual(['Intro shot', 'Outro']);

    const shown = a.move(intro.id, 1);
    expect(names(a)).toEqual(['Outro', 'Intro shot']); // before the ack
    await shown;
    await converged(a, b);
    expect(names(b)).toEqual(['Outro', 'Intro shot']);

    await b.delete(intro.id);
    await converged(a, b);
    expect(names(a)).toEqual(['Outro']);
    expect(a.getSnapshot().queued).toBe(0);
  });

  it('keeps one snapshot object until something changes, and tells listeners of each change', async () => {
    const server = await start();
    const a = client(server.url).project('store-identity');
    const first = await ready(a);
    expect(a.getSnapshot()).toBe(first);
    let calls = 0;
    const stop = a.subscribe(() => (calls += 1));
    const done = a.create({ name: 'One' });
    expect(calls).toBe(1); // the stand-in
    const afterCreate = a.getSnapshot();
    expect(afterCreate).not.toBe(first);
    await done;
    await vi.waitFor(() => expect(a.getSnapshot().pendingIds.size).toBe(0));
    const settled = a.getSnapshot();
    expect(a.getSnapshot()).toBe(settled);
    // An unchanged workspace keeps its object across another one's update (rows need no repaint).
    const two = await a.create({ name: 'Two' });
    await vi.waitFor(() => expect(a.getSnapshot().pendingIds.size).toBe(0));
    const one = a.getSnapshot().workspaces[0]!;
    await a.update(two.id, { name: 'Two!' });
    await vi.waitFor(() => expect(names(a)).toEqual(['One', 'Two!']));
    expect(a.getSnapshot().workspaces[0]).toBe(one);
    stop();
    const before = calls;
    await a.update(two.id, { name: 'Two?' });
    expect(calls).toBe(before);
  });

  it('rolls back a refused change and keeps the failure until dismissed; overwrite writes over a conflict', async () => {
    const server = await start();
    const projectId = 'store-conflict';
    const ca = client(server.url);
    const a = ca.project(projectId);
    const b = client(server.url).project(projectId);
    expect(ca.project(projectId)).toBe(a); // one store per project and client, until closed
    const closed = ca.project('store-closed');
    closed.close();
    expect(ca.project('store-closed')).not.toBe(closed);
    await ready(a);
    await ready(b);
    const w = await a.create({ name: 'Scene', data: { prompt: 'first' } });
    await converged(a, b);

    // Both have seen version 1 and write at once: one wins, the other is refused and rolled back.
    const writes = [a.update(w.id, { data: { prompt: 'from a' } }), b.update(w.id, { data: { prompt: 'from b' } })];
    expect(b.getSnapshot().workspaces[0]!.data).toEqual({ prompt: 'from b' }); // shown before any reply
    const outcomes = await Promise.allSettled(writes);
    const lost = outcomes.findIndex((o) => o.status === 'rejected');
    expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(1);
    const [winner, loser] = lost === 1 ? [a, b] : [b, a];
    const error = (outcomes[lost] as PromiseRejectedResult).reason as unknown;
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).code).toBe('CONFLICT');
    const won = lost === 1 ? { prompt: 'from a' } : { prompt: 'from b' };
    await converged(a, b);
    expect(loser.getSnapshot().workspaces[0]!.data).toEqual(won);
    expect(winner.getSnapshot().failures).toEqual([]);
    const [failure] = loser.getSnapshot().failures;
    expect(failure).toMatchObject({ kind: 'update', workspaceId: w.id });
    expect(failure!.error.code).toBe('CONFLICT');

    await loser.update(w.id, failure!.patch!, { overwrite: true });
    loser.dismiss(failure!.id);
    expect(loser.getSnapshot().failures).toEqual([]);
    await converged(a, b);
    expect(winner.getSnapshot().workspaces[0]!.data).toEqual(failure!.patch!.data);
  });

  it('two quick edits while someone else replaces the version they start from: the other write is never lost', async () => {
    const server = await start();
    const projectId = 'store-pipelined';
    const gate = gatedWebSocket();
    const ca = createClient({ url: server.url, WebSocket: gate.WebSocket, reconnect: { baseDelayMs: 30 } });
    clients.push(ca);
    const a = ca.project(projectId);
    const b = client(server.url).project(projectId);
    await ready(a);
    await ready(b);
    const w = await a.create({ name: 'Scene' });
    await converged(a, b);

    // a's two edits (typed quickly on version 1) are still on their way when b's write makes version 2.
    gate.hold();
    const first = a.update(w.id, { name: 'mine 1' });
    const second = a.update(w.id, { name: 'mine 2' });
    await b.update(w.id, { name: 'theirs' });
    gate.release();

    const outcomes = await Promise.allSettled([first, second]);
    expect(outcomes.map((o) => o.status === 'rejected' && (o.reason as ProtocolError).code)).toEqual([
      'CONFLICT',
      'CONFLICT',
    ]);
    await converged(a, b);
    expect(names(a)).toEqual(['theirs']);
    const stored = await client(server.url).listWorkspaces({ projectId });
    expect(stored.workspaces.map((x) => [x.name, x.version])).toEqual([['theirs', 2]]);
    expect(a.getSnapshot().failures.map((f) => f.patch)).toEqual([{ name: 'mine 1' }, { name: 'mine 2' }]);
  });

  it('a change refused before sending (invalid name) is rolled back at once', async () => {
    const server = await start();
    const a = client(server.url).project('store-invalid');
    await ready(a);
    await expect(a.create({ name: '' })).rejects.toMatchObject({ code: 'INVALID_MESSAGE' });
    expect(a.getSnapshot().workspaces).toEqual([]);
    expect(a.getSnapshot().failures.map((f) => f.kind)).toEqual(['create']);
    expect(a.getSnapshot().queued).toBe(0);
  });

  it('changes made while the server is away are shown, queued, then applied once and in order (updates of one workspace merged)', async () => {
    const port = (await freePort()) as number;
    const dbName = testDbName('store');
    let server = await start({ port, dbName });
    const projectId = 'store-offline';
    const c = client(server.url);
    const a = c.project(projectId);
    const connection = c.connection();
    await ready(a);
    const w = await a.create({ name: 'Draft' });
    await vi.waitFor(() => expect(a.getSnapshot().pendingIds.size).toBe(0));

    await server.close({ drop: false });
    servers.splice(servers.indexOf(server), 1);
    await vi.waitFor(() => expect(connection.getSnapshot().state).toBe('reconnecting'));
    await vi.waitFor(() => expect(connection.getSnapshot().reconnectAt).toBeTypeOf('number'));
    const typed = ['D', 'Dr', 'Dra', 'Draf', 'Draft 2'].map((name) => a.update(w.id, { name }));
    expect(names(a)).toEqual(['Draft 2']);
    expect(a.getSnapshot().queued).toBe(5);
    expect(a.getSnapshot().connection).toBe('reconnecting');

    server = await start({ port, dbName });
    const results = await Promise.all(typed);
    // The first went out (queued offline); the four typed after it waited for its ack and went as one update.
    expect(results.map((r) => r.version)).toEqual([2, 3, 3, 3, 3]);
    await vi.waitFor(() => expect(a.getSnapshot().pendingIds.size).toBe(0));
    expect(names(a)).toEqual(['Draft 2']);
    expect(a.getSnapshot().workspaces[0]!.version).toBe(3);
    expect(connection.getSnapshot()).toMatchObject({ state: 'open', failedAttempts: 0 });
    const stored = await client(server.url).listWorkspaces({ projectId });
    expect(stored.workspaces.map((x) => [x.name, x.version])).toEqual([['Draft 2', 3]]);
  });

  it('reloads the list when the server cannot replay what it missed (resync: another epoch)', async () => {
    const port = (await freePort()) as number;
    let server = await start({ port });
    const projectId = 'store-resync';
    const a = client(server.url).project(projectId);
    await ready(a);
    await a.create({ name: 'Old 1' });
    await a.create({ name: 'Old 2' });
    await vi.waitFor(() => expect(a.getSnapshot()).toMatchObject({ seq: 2, pendingIds: new Set() }));

    // The same address, a fresh database: the store's seq and epoch mean nothing there.
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    server = await start({ port });
    const other = client(server.url).project(projectId);
    await ready(other);
    await other.create({ name: 'New' });
    await vi.waitFor(() => expect(names(a)).toEqual(['New']));
    expect(a.getSnapshot().seq).toBe(1);
  });
});
