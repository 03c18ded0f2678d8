import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { pausedClient } from '../helpers/raw-client.js';
import { TestPeer, type Frame } from '../helpers/test-peer.js';

let server: TestServer;

beforeAll(async () => {
  server = await startServer(inject('mongodbUri'), { limits: { maxBufferedBytes: 256 * 1024 } });
});
afterAll(async () => {
  await server.close();
});

describe('backpressure', () => {
  it('closes a subscriber that stops reading with 1013, keeps memory bounded, and others keep receiving', async () => {
    const p = 'slow';
    const writer = await TestPeer.connect(server.url);
    const healthy = await TestPeer.connect(server.url);
    const { epoch } = await healthy.ok<{ epoch: string }>('subscribe', { projectId: p });
    const slow = await pausedClient(server.url, [
      JSON.stringify({ type: 'subscribe', id: 's', data: { projectId: p } }),
    ]);
    await vi.waitFor(() => expect(server.server.rooms.counts.subscriptions).toBe(2));
    await writer.ok('workspace.create', { projectId: p, name: 'before' });
    const rssBefore = process.memoryUsage().rss;
    // 40 MB pushed through the same send path as events: far past the kernel buffers and the 256 KiB limit.
    const chunk = { type: 'notice', data: { payload: 'x'.repeat(64 * 1024) } };
    let received = 0;
    let onReceived: () => void = () => {};
    healthy.socket.on('message', () => {
      received += 1;
      onReceived();
    });
    // Readers here share the server's event loop, so pace the pushes by the healthy reader's progress.
    for (let i = 1; i <= 640; i += 1) {
      const got = new Promise<void>((resolve) => {
        onReceived = () => {
          if (received >= i) resolve();
        };
      });
      server.server.broadcast(chunk);
      await got;
    }
    await vi.waitFor(() => expect(server.logs.some((l) => /code 1013/.test(l))).toBe(true), { timeout: 15_000 });
    expect(server.logs.filter((l) => /code 1013/.test(l))).toHaveLength(1);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(120 * 1024 * 1024);
    expect(server.server.connections.size).toBe(2);
    // Others keep receiving: the healthy reader gets the broadcasts and later events.
    await writer.ok('workspace.create', { projectId: p, name: 'after' });
    await healthy.eventWithSeq(p, 2);
    expect(healthy.events(p).map((e: Frame) => e['seq'])).toEqual([1, 2]);
    // The slow client resumes from where it was and gets what it missed.
    const back = await TestPeer.connect(server.url);
    expect(await back.ok('subscribe', { projectId: p, sinceSeq: 0, epoch })).toMatchObject({ replayed: 2 });
    await Promise.all([writer.close(), healthy.close(), back.close()]);
    slow.destroy();
  }, 60_000);
});
