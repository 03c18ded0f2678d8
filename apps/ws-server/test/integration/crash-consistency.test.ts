import { createTestCore, testDbName } from '@app/core/testing';
import { fromStoredEvent, type EventDoc, type StoredEventDoc, type WorkspaceDoc } from '@app/core';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { spawnServer, type ServerProcess } from '../helpers/spawn-server.js';
import { TestPeer, type Frame } from '../helpers/test-peer.js';

const mongodbUri = inject('mongodbUri');
const dbName = testDbName('crash');
const projects = ['crash-a', 'crash-b'];
const children: ServerProcess[] = [];

afterAll(async () => {
  await Promise.all(children.map((c) => c.kill()));
  const core = await createTestCore(mongodbUri, dbName);
  await core.close();
});

async function start(): Promise<ServerProcess> {
  const server = await spawnServer({ MONGODB_URI: mongodbUri, MONGODB_DB: dbName });
  children.push(server);
  return server;
}

interface Sent {
  id: string;
  type: string;
  data: unknown;
  reply?: Frame;
}

/** Folds the event log the way a client would, giving what the read model must equal. */
function fold(events: EventDoc[]): Map<string, { order: string[]; workspaces: Map<string, Frame> }> {
  const state = new Map<string, { order: string[]; workspaces: Map<string, Frame> }>();
  for (const event of events) {
    let project = state.get(event.projectId);
    if (!project) state.set(event.projectId, (project = { order: [], workspaces: new Map() }));
    const data = event.data as Record<string, unknown>;
    if (event.type === 'workspace.created') {
      const w = data['workspace'] as Frame;
      project.workspaces.set(w['id'] as string, w);
      project.order.splice(w['position'] as number, 0, w['id'] as string);
    } else if (event.type === 'workspace.updated') {
      const w = data['workspace'] as Frame;
      project.workspaces.set(w['id'] as string, w);
    } else if (event.type === 'workspace.deleted') {
      project.workspaces.delete(data['id'] as string);
      project.order = project.order.filter((id) => id !== data['id']);
    } else if (event.type === 'workspace.reordered') {
      project.order = data['order'] as string[];
    }
  }
  return state;
}

describe('crash consistency (SIGKILL during a stream of mutations)', () => {
  it('keeps every acked change, matches the event log, and never skips or reuses a seq', async () => {
    const sent: Sent[] = [];
    const created: string[] = [];
    let counter = 0;
    for (let round = 0; round < 3; round += 1) {
      const server = await start();
      const peer = await TestPeer.connect(server.url);
      for (const p of projects) {
        const list = await peer.ok<{ workspaces: Frame[] }>('workspace.list', { projectId: p });
        for (const w of list.workspaces) if (!created.includes(w['id'] as string)) created.push(w['id'] as string);
      }
      let acked = 0;
      let stop = false;
      // 8 writers in flight; after ~25 acks in this round, SIGKILL the server mid-stream.
      const writer = async (): Promise<void> => {
        while (!stop) {
          counter += 1;
          const id = `m${round}-${counter}`;
          const p = projects[counter % 2]!;
          const target = created[counter % Math.max(created.length, 1)];
          const entry: Sent =
            target === undefined || counter % 3 === 0
              ? { id, type: 'workspace.create', data: { projectId: p, name: `w${counter}`, data: { n: counter } } }
              : counter % 7 === 0
                ? { id, type: 'workspace.reorder', data: { projectId: p, order: [] } }
                : {
                    id,
                    type: 'workspace.update',
                    data: { id: target, patch: { name: `u${counter}`, data: { n: counter } } },
                  };
          sent.push(entry);
          const reply = await Promise.race([
            peer.request(entry.type, entry.data, id),
            peer.closed.then(() => undefined),
          ]);
          if (reply === undefined) return;
          entry.reply = reply;
          if (reply.type === 'ack') {
            acked += 1;
            const w = (reply['data'] as { workspace?: Frame }).workspace;
            if (entry.type === 'workspace.create' && w) created.push(w['id'] as string);
            if (acked === 25 + round * 5) {
              stop = true;
              server.child.kill('SIGKILL');
            }
          }
        }
      };
      await Promise.all(Array.from({ length: 8 }, writer));
      await server.exited;
      await peer.closed;
    }

    // Restart once more: resend every unanswered request with its original id.
    const server = await start();
    const peer = await TestPeer.connect(server.url);
    const unanswered = sent.filter((s) => s.reply === undefined);
    for (const entry of unanswered) entry.reply = await peer.request(entry.type, entry.data, entry.id);

    const core = await createTestCore(mongodbUri, dbName);
    try {
      const events = (await core.models.Event.find({}).sort({ projectId: 1, seq: 1 }).lean<StoredEventDoc[]>()).map(
        (e) => fromStoredEvent(e)!,
      );
      // Seq: 1..N per project, no holes, no reuse.
      for (const p of projects) {
        const seqs = events.filter((e) => e.projectId === p).map((e) => e.seq);
        expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
      }
      // Each request id applied at most once.
      const keys = events.map((e) => e.key);
      expect(new Set(keys).size).toBe(keys.length);
      // Every acked mutation is in the log, with the acked result.
      const byKey = new Map(events.map((e) => [e.key, e]));
      const ackedEntries = sent.filter((s) => s.reply?.type === 'ack');
      expect(ackedEntries.length).toBeGreaterThan(80);
      for (const entry of ackedEntries) {
        const event = byKey.get(JSON.stringify(['anonymous', entry.id]));
        expect(event, entry.id).toBeDefined();
        expect(event!.data).toEqual(entry.reply!['data']);
      }
      // The read model equals the fold of the event log.
      const expected = fold(events);
      for (const p of projects) {
        const list = await peer.ok<{ workspaces: Frame[]; seq: number }>('workspace.list', { projectId: p });
        const want = expected.get(p)!;
        expect(list.seq).toBe(events.filter((e) => e.projectId === p).length);
        expect(list.workspaces.map((w) => w['id'])).toEqual(want.order);
        for (const w of list.workspaces) {
          const folded = want.workspaces.get(w['id'] as string)!;
          expect({ ...w, position: 0 }).toEqual({ ...folded, position: 0 });
        }
        const docs = await core.models.Workspace.find({ projectId: p }).lean<WorkspaceDoc[]>();
        expect(docs).toHaveLength(want.order.length);
      }
    } finally {
      await core.connection.close();
      await peer.close();
      server.child.kill('SIGTERM');
      await server.exited;
    }
  }, 120_000);
});
