import { createTestCore } from '@app/core/testing';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { pausedClient } from '../helpers/raw-client.js';
import { TestPeer } from '../helpers/test-peer.js';

// Default MAX_BUFFERED_BYTES (8 MiB): a burst of 120 events of ~240 KB is ~29 MB, far past it.
const UPDATES = 120;
/** ~240 KB of data (strings are capped at 65,536 characters each). */
const big = (i: number): { i: number; blobs: string[] } => ({
  i,
  blobs: Array.from({ length: 4 }, () => 'x'.repeat(60_000)),
});

let server: TestServer;

beforeAll(async () => {
  // The writer pipelines 120 updates at once: room in its token bucket for them.
  server = await startServer(inject('mongodbUri'), { limits: { rateBurst: 1_000, ratePerSec: 1_000 } });
});
afterAll(async () => {
  await server.close();
});

/** Sends `UPDATES` big updates of one workspace without waiting, and resolves when all are acked. */
async function burst(writer: TestPeer, id: string): Promise<void> {
  const acks = await Promise.all(
    Array.from({ length: UPDATES }, (_, i) => writer.request('workspace.update', { id, patch: { data: big(i) } })),
  );
  for (const ack of acks) expect(ack.type, JSON.stringify(ack).slice(0, 300)).toBe('ack');
}

/** Counts the events of a project a peer received, without keeping their ~29 MB of frames. */
function counter(peer: TestPeer, projectId: string): { seqs: number[] } {
  const seen = { seqs: [] as number[] };
  peer.socket.prependListener('message', (data) => {
    const text = data.toString();
    if (!text.startsWith('{"type":"workspace.')) return;
    const frame = JSON.parse(text) as { projectId?: string; seq?: number };
    if (frame.projectId === projectId && typeof frame.seq === 'number') seen.seqs.push(frame.seq);
  });
  return seen;
}

/** Drops the big frames a TestPeer keeps, so the test process holds only counters. */
function forgetFrames(peer: TestPeer): void {
  peer.frames.splice(0, peer.frames.length);
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('slow consumer means a peer that does not read', () => {
  it('a subscriber reading continuously gets a burst of 120 x 240 KB and stays; one that stops reading is closed with 1013', async () => {
    const p = 'burst-live';
    const writer = await TestPeer.connect(server.url);
    const reader = await TestPeer.connect(server.url);
    const seen = counter(reader, p);
    const { workspace } = await writer.ok<{ workspace: { id: string } }>('workspace.create', {
      projectId: p,
      name: 'w',
    });
    await reader.ok('subscribe', { projectId: p, sinceSeq: 1 });
    const paused = await pausedClient(server.url, [
      JSON.stringify({ type: 'subscribe', id: 's', data: { projectId: p, sinceSeq: 1 } }),
    ]);
    await vi.waitFor(() => expect(server.server.rooms.counts.subscriptions).toBe(2));
    // What the server holds for each peer, sampled while the burst goes out.
    const writerSession = ((await writer.next((f) => f.type === 'hello'))['data'] as { sessionId: string }).sessionId;
    let peak = 0;
    const sampler = setInterval(() => {
      for (const connection of server.server.connections) {
        if (connection.sessionId !== writerSession) peak = Math.max(peak, connection.memoryBytes);
      }
    }, 5);
    await burst(writer, workspace.id);
    await vi.waitFor(() => expect(seen.seqs.length).toBe(UPDATES), { timeout: 30_000 });
    expect(seen.seqs).toEqual(range(2, UPDATES + 1));
    expect(reader.socket.readyState).toBe(reader.socket.OPEN);
    forgetFrames(reader);
    forgetFrames(writer);
    // The peer that stopped reading is closed with 1013, once, and it did not cost the server its backlog in memory.
    await vi.waitFor(() => expect(server.logs.filter((l) => /code 1013/.test(l))).toHaveLength(1), { timeout: 20_000 });
    clearInterval(sampler);
    // Each subscriber cost the server at most MAX_BUFFERED_BYTES of held events plus the socket's
    // high-water mark and a frame, never the ~29 MB backlog (the rest waits in the log).
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThan(10 * 1024 * 1024);
    expect(server.server.connections.size).toBe(2);
    await Promise.all([writer.close(), reader.close()]);
    paused.destroy();
  }, 60_000);

  it('a replay of 120 x 240 KB reaches a reader that keeps reading', async () => {
    const p = 'burst-replay';
    const writer = await TestPeer.connect(server.url);
    const { workspace } = await writer.ok<{ workspace: { id: string } }>('workspace.create', {
      projectId: p,
      name: 'w',
    });
    await burst(writer, workspace.id);
    forgetFrames(writer);
    const reader = await TestPeer.connect(server.url);
    const seen = counter(reader, p);
    const ack = await reader.ok('subscribe', { projectId: p, sinceSeq: 1 });
    expect(ack).toMatchObject({ seq: UPDATES + 1, replayed: UPDATES });
    expect(seen.seqs).toEqual(range(2, UPDATES + 1));
    forgetFrames(reader);
    await writer.ok('workspace.update', { id: workspace.id, patch: { name: 'after' } });
    await vi.waitFor(() => expect(seen.seqs.at(-1)).toBe(UPDATES + 2));
    expect(reader.socket.readyState).toBe(reader.socket.OPEN);

    // The same replay to a peer that stops reading: closed with 1013, holding little for it meanwhile.
    const closesBefore = server.logs.filter((l) => /code 1013/.test(l)).length;
    const known = new Set(server.server.connections);
    const paused = await pausedClient(server.url, [
      JSON.stringify({ type: 'subscribe', id: 's', data: { projectId: p, sinceSeq: 1 } }),
    ]);
    let peak = 0;
    const sampler = setInterval(() => {
      for (const connection of server.server.connections)
        if (!known.has(connection)) peak = Math.max(peak, connection.memoryBytes);
    }, 5);
    await vi.waitFor(() => expect(server.logs.filter((l) => /code 1013/.test(l))).toHaveLength(closesBefore + 1), {
      timeout: 20_000,
    });
    clearInterval(sampler);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThan(10 * 1024 * 1024);
    paused.destroy();
    await Promise.all([writer.close(), reader.close()]);
  }, 60_000);

  it('the rooms backfill of 120 x 240 KB (after a bus reconnect) reaches a reader that keeps reading', async () => {
    const p = 'burst-backfill';
    const reader = await TestPeer.connect(server.url);
    const seen = counter(reader, p);
    // Another node: stores events on the same database, but its bus does not reach this server.
    const other = await createTestCore(inject('mongodbUri'), server.dbName, { projectionDelayMs: 0 });
    try {
      const ctx = { subject: 'other' };
      const { workspace } = await other.service.create({ projectId: p, name: 'w' }, ctx);
      await reader.ok('subscribe', { projectId: p, sinceSeq: 1 });
      await Promise.all(
        Array.from({ length: UPDATES }, (_, i) =>
          other.service.update({ id: workspace.id, patch: { data: big(i) } }, ctx),
        ),
      );
      expect(seen.seqs).toEqual([]);
      server.server.rooms.resyncAll(); // what a bus reconnect does
      await vi.waitFor(() => expect(seen.seqs.length).toBe(UPDATES), { timeout: 30_000 });
      expect(seen.seqs).toEqual(range(2, UPDATES + 1));
      expect(reader.socket.readyState).toBe(reader.socket.OPEN);
      forgetFrames(reader);
    } finally {
      // Not `other.close()`: it would drop the server's database.
      await other.service.drain();
      await other.connection.close();
    }
    await reader.close();
  }, 60_000);
});
