import { afterEach, describe, expect, it } from 'vitest';
import type { Client } from '../src/index.js';
import { next, testClient } from './helpers/client.js';
import { startStubServer, type StubPeer, type StubServer } from './helpers/stub-server.js';

let server: StubServer;
let client: Client;
const intervals: ReturnType<typeof setInterval>[] = [];
afterEach(async () => {
  for (const interval of intervals.splice(0)) clearInterval(interval);
  await client?.close();
  await server?.close();
});

/** Resolves after the peer's socket has received `count` pongs (answers to server pings). */
function pongs(peer: StubPeer, count: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    peer.socket.on('pong', () => {
      if (++seen === count) resolve();
    });
  });
}

describe('liveness in Node (server pings)', () => {
  it('reconnects when no server ping arrives within 2 x heartbeatMs', async () => {
    server = await startStubServer({ hello: { heartbeatMs: 25 } });
    client = testClient(server.url);
    const started = performance.now();
    const info = await next(client, 'disconnect');
    expect(info).toEqual({ code: 1006, reason: expect.stringMatching(/^No ping from the server for \d+ ms$/) });
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    await next(client, 'open');
    expect(server.peers).toHaveLength(2);
  });

  it('stays connected while the server pings every heartbeatMs', async () => {
    // Pings four times per heartbeatMs, so a busy CI machine's late timers cannot starve the client.
    server = await startStubServer({
      hello: { heartbeatMs: 100 },
      onPeer: (peer) => intervals.push(setInterval(() => peer.socket.ping(), 25)),
    });
    client = testClient(server.url);
    await pongs(await server.peer(0), 16); // about 400 ms: twice the 2 x heartbeatMs limit
    expect(server.peers).toHaveLength(1);
    expect(client.state).toBe('open');
  });
});

/** A stub server that answers every `ping` request with a pong. */
function startPongingServer(): Promise<StubServer> {
  return startStubServer({
    onPeer: (peer) =>
      peer.socket.on('message', (raw) => {
        const frame = JSON.parse(String(raw)) as { type: string; id: string };
        if (frame.type === 'ping') peer.send({ type: 'pong', id: frame.id, data: { ts: new Date().toISOString() } });
      }),
  });
}

describe('liveness by ping requests (browser style)', () => {
  const keepAlive = { mode: 'client-ping', intervalMs: 20, pongTimeoutMs: 40 } as const;

  it('sends a ping after a quiet period and stays connected while pongs come back', async () => {
    server = await startPongingServer();
    client = testClient(server.url, { keepAlive: { ...keepAlive, pongTimeoutMs: 500 } });
    const peer = await server.peer(0);
    for (let i = 0; i < 5; i++) expect(await peer.take('ping')).toEqual({ type: 'ping', id: expect.any(String) });
    expect(server.peers).toHaveLength(1);
    expect(client.state).toBe('open');
  });

  it('pings again intervalMs after each pong, not after the pong timeout', async () => {
    server = await startPongingServer();
    const pongTimeoutMs = 3_000;
    client = testClient(server.url, { keepAlive: { ...keepAlive, pongTimeoutMs } });
    const peer = await server.peer(0);
    await peer.take('ping');
    const firstPingAt = performance.now();
    await peer.take('ping');
    await peer.take('ping');
    // Every 20 ms of silence: two more pings long before one pong timeout has passed.
    expect(performance.now() - firstPingAt).toBeLessThan(pongTimeoutMs);
  });

  it('reconnects when the pong does not come in time', async () => {
    server = await startStubServer();
    client = testClient(server.url, { keepAlive });
    const info = await next(client, 'disconnect');
    expect(info).toEqual({ code: 1006, reason: 'No pong within 40 ms' });
    expect(server.peers[0]!.received.map((f) => f.type)).toEqual(['ping']);
    await next(client, 'open');
  });
});

describe('connect timeout', () => {
  it('gives up on a connection whose hello never comes, and tries again', async () => {
    server = await startStubServer({ hello: false });
    client = testClient(server.url, { connectTimeoutMs: 30 });
    expect(await next(client, 'disconnect')).toEqual({ code: 1006, reason: 'No hello within 30 ms' });
    await server.peer(1);
  });
});
