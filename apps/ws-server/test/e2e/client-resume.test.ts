import { createClient, type Client, type ServerEvent, type Workspace } from '@app/client';
import { createTestCore, testDbName } from '@app/core/testing';
import { fromStoredEvent, type StoredEventDoc } from '@app/core';
import WebSocket from 'ws';
import { afterAll, describe, expect, inject, it, vi } from 'vitest';
// @ts-expect-error plain ES module without types
import { freePort } from '../../../../scripts/embedded-db.mjs';
import { spawnServer, type ServerProcess } from '../helpers/spawn-server.js';

const mongodbUri = inject('mongodbUri');
const dbName = testDbName('e2e');
const processes: ServerProcess[] = [];
const clients: Client[] = [];

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(processes.map((p) => p.kill()));
  await (await createTestCore(mongodbUri, dbName)).close();
});

async function start(port: number): Promise<ServerProcess> {
  const server = await spawnServer({ MONGODB_URI: mongodbUri, MONGODB_DB: dbName, WS_PORT: String(port) });
  processes.push(server);
  return server;
}

function client(url: string): Client {
  const c = createClient({
    url,
    WebSocket,
    requestTimeoutMs: 30_000,
    reconnect: { minDelayMs: 20, baseDelayMs: 50, maxDelayMs: 300 },
  });
  clients.push(c);
  return c;
}

/** A subscriber that keeps its own view of a project from snapshot + events, and records every seq applied. */
function follow(c: Client, projectId: string) {
  const state = {
    workspaces: new Map<string, Workspace>(),
    order: [] as string[],
    seq: 0,
    applied: [] as number[],
    snapshots: 0,
    snapshotSeq: 0,
  };
  c.subscribe(projectId, {
    onSnapshot: (list, seq) => {
      state.snapshots += 1;
      state.snapshotSeq = seq;
      state.applied = [];
      state.workspaces = new Map(list.map((w) => [w.id, w]));
      state.order = list.map((w) => w.id);
      state.seq = seq;
    },
    onEvent: (event: ServerEvent) => {
      state.applied.push(event.seq);
      state.seq = event.seq;
      if (event.type === 'workspace.created') {
        state.workspaces.set(event.data.workspace.id, event.data.workspace);
        state.order.splice(event.data.workspace.position, 0, event.data.workspace.id);
      } else if (event.type === 'workspace.updated') {
        state.workspaces.set(event.data.workspace.id, event.data.workspace);
      } else if (event.type === 'workspace.deleted') {
        state.workspaces.delete(event.data.id);
        state.order = state.order.filter((id) => id !== event.data.id);
      } else if (event.type === 'workspace.reordered') {
        state.order = [...event.data.order];
      }
    },
  });
  return state;
}

describe.each(['SIGTERM', 'SIGKILL'] as const)('@app/client against a real server restarted with %s', (signal) => {
  it('resumes the subscription: the view equals the database, no event lost or applied twice; in-flight mutations apply once', async () => {
    const projectId = `e2e-${signal.toLowerCase()}`;
    const port = await freePort();
    let server = await start(port);
    const url = `ws://127.0.0.1:${port}/`;
    const reader = client(url);
    const writer = client(url);
    const view = follow(reader, projectId);
    const first = await writer.createWorkspace({ projectId, name: 'first' });
    await vi.waitFor(() => expect(view.seq).toBe(1));

    // A stream of mutations with their own ids; the server is stopped while some are on the wire.
    const ids = Array.from({ length: 60 }, (_, i) => `${signal}-m${i}`);
    const results = ids.map((id, i) =>
      i % 4 === 0
        ? writer.request('workspace.create', { projectId, name: `w${i}` }, { id })
        : writer.request('workspace.update', { id: first.workspace.id, patch: { data: { i } } }, { id }),
    );
    await results[10];
    server.child.kill(signal);
    await server.exited;
    server = await start(port);
    const settled = await Promise.allSettled(results);
    expect(
      settled.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason)),
    ).toEqual([]);

    const core = await createTestCore(mongodbUri, dbName);
    try {
      const events = (await core.models.Event.find({ projectId }).sort({ seq: 1 }).lean<StoredEventDoc[]>()).map((e) =>
        fromStoredEvent(e)!,
      );
      // Every mutation exactly once.
      for (const id of ids)
        expect(
          events.filter((e) => e.key === JSON.stringify(['anonymous', id])),
          id,
        ).toHaveLength(1);
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
      const head = events.length;
      // The reader's view catches up to the head and equals the database.
      await vi.waitFor(() => expect(view.seq).toBe(head), { timeout: 30_000 });
      // Since its last snapshot, the reader applied every later seq once, in order.
      expect(view.applied).toEqual(Array.from({ length: head - view.snapshotSeq }, (_, i) => view.snapshotSeq + i + 1));
      expect(view.snapshots).toBe(1); // resumed with sinceSeq: no resync was needed
      const listed = await core.service.list(projectId);
      expect(view.order).toEqual(listed.workspaces.map((w) => w.id));
      for (const w of listed.workspaces) expect(view.workspaces.get(w.id)).toEqual(w);
    } finally {
      await core.connection.close();
    }
    server.child.kill('SIGTERM');
    await server.exited;
  }, 120_000);
});
