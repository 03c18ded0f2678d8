import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { TestPeer } from '../helpers/test-peer.js';

let server: TestServer;

beforeAll(async () => {
  server = await startServer(inject('mongodbUri'), { heartbeatMs: 100 });
});
afterAll(async () => {
  await server.close();
});

function pings(peer: TestPeer, count: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    peer.socket.on('ping', () => {
      seen += 1;
      if (seen === count) resolve();
    });
  });
}

describe('heartbeat', () => {
  it('terminates a connection that does not answer pings, keeps one that does, and frees its state', async () => {
    const silent = await TestPeer.connect(server.url, { autoPong: false });
    const lively = await TestPeer.connect(server.url);
    await silent.ok('subscribe', { projectId: 'hb' });
    expect(server.server.connections.size).toBe(2);
    const livelyPings = pings(lively, 4);
    const closed = await silent.closed;
    expect(closed.code).toBe(1006); // terminated, no closing handshake
    await livelyPings;
    expect(lively.socket.readyState).toBe(lively.socket.OPEN);
    expect(await lively.ok('ping')).toHaveProperty('ts');
    expect(server.server.connections.size).toBe(1);
    expect(server.server.rooms.counts).toEqual({ projects: 0, subscriptions: 0 });
    expect(server.logs.some((line) => line.includes('missed a heartbeat'))).toBe(true);
    await lively.close();
  });

  it('announces heartbeatMs in hello', async () => {
    const peer = new TestPeer(server.url);
    const hello = await peer.next((f) => f.type === 'hello');
    expect((hello['data'] as { heartbeatMs: number }).heartbeatMs).toBe(100);
    await peer.close();
  });
});
