import { spawn } from 'node:child_process';
import net from 'node:net';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { DEFAULT_JSON_LIMITS } from '@app/protocol';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { TestPeer, type Frame } from '../helpers/test-peer.js';
import { upgradeStatus } from '../helpers/upgrade-status.js';

const mongodbUri = inject('mongodbUri');
let server: TestServer | undefined;
const peers: TestPeer[] = [];

afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.close()));
  await server?.close();
  server = undefined;
});

async function connect(url: string): Promise<TestPeer> {
  const peer = await TestPeer.connect(url);
  peers.push(peer);
  return peer;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

describe('rate limit (token bucket per connection)', () => {
  it('answers RATE_LIMITED with retryAfterMs and the id past the burst; the connection stays usable', async () => {
    server = await startServer(mongodbUri, { limits: { ratePerSec: 20, rateBurst: 10, maxStrikes: 1_000 } });
    const peer = await connect(server.url);
    const replies = await Promise.all(Array.from({ length: 30 }, (_, i) => peer.request('ping', {}, `f${i}`)));
    const limited = replies.filter((r) => r.type === 'error');
    expect(replies.filter((r) => r.type === 'pong').length).toBeGreaterThanOrEqual(10);
    expect(limited.length).toBeGreaterThanOrEqual(15);
    for (const reply of limited) {
      expect(reply).toMatchObject({
        code: 'RATE_LIMITED',
        id: expect.stringMatching(/^f\d+$/),
        details: { retryAfterMs: expect.any(Number) },
      });
      expect((reply['details'] as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
    }
    const wait = (limited[0]!['details'] as { retryAfterMs: number }).retryAfterMs;
    await new Promise((resolve) => setTimeout(resolve, wait * 2)); // the bucket refills with time: waiting is the subject here
    expect((await peer.request('ping', {})).type).toBe('pong');
  });

  it('closes a sustained flood with 1008 without slowing other connections beyond 250 ms p99', async () => {
    server = await startServer(mongodbUri, { limits: { ratePerSec: 50, rateBurst: 50, maxStrikes: 500 } });
    const calm = await connect(server.url);
    // The flooder is its own process, so this process's event loop only carries the server and the calm client.
    const flooder = spawn(
      process.execPath,
      [
        '-e',
        `const WebSocket = require('ws');
         const ws = new WebSocket(process.argv[1]);
         const frame = JSON.stringify({ type: 'ping', id: 'flood' });
         ws.on('error', () => {});
         ws.on('open', () => {
           let sent = 0;
           const burst = () => { for (let i = 0; i < 500 && ws.readyState === 1 && sent < 50000; i += 1, sent += 1) ws.send(frame); if (ws.readyState === 1 && sent < 50000) setImmediate(burst); };
           burst();
         });
         ws.on('close', (code) => { console.log('closed ' + code); process.exit(0); });`,
        server.url,
      ],
      { cwd: dirname(fileURLToPath(import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const closed = new Promise<string>((resolve) => {
      let out = '';
      flooder.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('closed')) resolve(out.trim());
      });
      flooder.once('exit', () => resolve(out.trim()));
    });
    const latencies: number[] = [];
    let flooding = true;
    void closed.then(() => {
      flooding = false;
    });
    while (flooding && latencies.length < 2_000) {
      const started = performance.now();
      await calm.ok('ping');
      latencies.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 25)); // the calm client stays under its own 50/s limit
    }
    expect(await closed).toBe('closed 1008');
    expect(latencies.length).toBeGreaterThan(5);
    expect(percentile(latencies, 99)).toBeLessThan(250);
    await vi.waitFor(() => expect(server!.server.connections.size).toBe(1));
  });
});

describe('connection caps', () => {
  it('refuses upgrades past the per-IP cap with 429 and past the total cap with 503, and frees slots on close', async () => {
    server = await startServer(mongodbUri, { maxConnectionsPerIp: 3, maxConnections: 1_000 });
    const url = server.url;
    const status = (): Promise<number> => upgradeStatus(url);
    const held = await Promise.all([connect(url), connect(url), connect(url)]);
    expect(await status()).toBe(429);
    await held[0]!.close();
    expect(server.server.guard.counts.total).toBe(2);
    expect(await status()).toBe(101);
    await server.close();
    server = await startServer(mongodbUri, { maxConnectionsPerIp: 100, maxConnections: 2 });
    await Promise.all([connect(server.url), connect(server.url)]);
    expect(await upgradeStatus(server.url)).toBe(503);
  });

  it('limits subscriptions per connection (FORBIDDEN past it)', async () => {
    server = await startServer(mongodbUri, { limits: { maxSubscriptions: 2 } });
    const peer = await connect(server.url);
    await peer.ok('subscribe', { projectId: 'cap-1' });
    await peer.ok('subscribe', { projectId: 'cap-2' });
    await peer.ok('subscribe', { projectId: 'cap-2' }); // re-subscribing the same project is not a new one
    expect(await peer.request('subscribe', { projectId: 'cap-3' })).toMatchObject({
      code: 'FORBIDDEN',
      details: { maxSubscriptions: 2 },
    });
    await peer.ok('unsubscribe', { projectId: 'cap-1' });
    await peer.ok('subscribe', { projectId: 'cap-3' });
  });

  it('applies configured data limits (size and depth) below the protocol maximum', async () => {
    server = await startServer(mongodbUri, {
      limits: { data: { ...DEFAULT_JSON_LIMITS, maxBytes: 2_000, maxDepth: 4 } },
    });
    const peer = await connect(server.url);
    expect(
      await peer.request('workspace.create', { projectId: 'dl', name: 'x', data: { s: 'x'.repeat(3_000) } }),
    ).toMatchObject({
      code: 'INVALID_MESSAGE',
      details: { issues: [{ path: ['data', 'data', 's'] }] },
    });
    expect(
      await peer.request('workspace.create', { projectId: 'dl', name: 'x', data: { a: { b: { c: { d: {} } } } } }),
    ).toMatchObject({
      code: 'INVALID_MESSAGE',
    });
    expect((await peer.request('workspace.create', { projectId: 'dl', name: 'x', data: { a: { b: 1 } } })).type).toBe(
      'ack',
    );
  });
});

describe('timeouts', () => {
  it('drops a client that sends its upgrade request too slowly (slowloris)', async () => {
    server = await startServer(mongodbUri, { handshakeTimeoutMs: 300 });
    const started = performance.now();
    await new Promise<void>((resolve) => {
      const socket = net.connect(server!.server.port, '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: x\r\n'));
      socket.on('error', () => {});
      socket.on('close', () => resolve());
    });
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('closes an idle connection without subscriptions, and keeps a subscribed one', async () => {
    server = await startServer(mongodbUri, { limits: { idleTimeoutMs: 200 } });
    const idle = await connect(server.url);
    const listening = await connect(server.url);
    await listening.ok('subscribe', { projectId: 'idle' });
    expect((await idle.closed).code).toBe(1000);
    const writer = await connect(server.url);
    await writer.ok('workspace.create', { projectId: 'idle', name: 'still here' });
    const event: Frame = await listening.eventWithSeq('idle', 1);
    expect(event['type']).toBe('workspace.created');
  });
});
