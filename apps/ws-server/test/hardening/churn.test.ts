import { InProcessBus } from '@app/core';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createMetrics } from '@app/core';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { TestPeer } from '../helpers/test-peer.js';

let server: TestServer;
const metrics = createMetrics();

beforeAll(async () => {
  server = await startServer(inject('mongodbUri'), { metrics, heartbeatMs: 60_000 });
});
afterAll(async () => {
  await server.close();
});

function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

describe('connection churn', () => {
  it('thousands of connect/subscribe/disconnect cycles leak no connections, subscriptions, listeners or timers', async () => {
    const warm = await TestPeer.connect(server.url);
    await warm.ok('subscribe', { projectId: 'churn-0' });
    await warm.close();
    await vi.waitFor(() => expect(server.server.connections.size).toBe(0));
    const before = resources();
    const socketListeners = server.server.wss.listenerCount('connection') + server.server.wss.listenerCount('error');
    const cycles = 2_000;
    let done = 0;
    const worker = async (w: number): Promise<void> => {
      while (done < cycles) {
        done += 1;
        const peer = await TestPeer.connect(server.url);
        await peer.ok('subscribe', { projectId: `churn-${(done + w) % 20}` });
        if (done % 3 === 0) peer.socket.terminate();
        else await peer.close();
      }
    };
    await Promise.all(Array.from({ length: 25 }, (_, w) => worker(w)));
    await vi.waitFor(() => expect(server.server.connections.size).toBe(0), { timeout: 10_000 });
    expect(server.server.rooms.counts).toEqual({ projects: 0, subscriptions: 0 });
    expect(server.server.guard.counts).toEqual({ total: 0, ips: 0 });
    if (server.core.bus instanceof InProcessBus) expect(server.core.bus.projectCount).toBe(0);
    expect(server.server.wss.listenerCount('connection') + server.server.wss.listenerCount('error')).toBe(
      socketListeners,
    );
    const after = resources();
    expect(after['Timeout'] ?? 0).toBeLessThanOrEqual((before['Timeout'] ?? 0) + 2);
    // Sockets: the server holds none (the database driver's pool may have grown, which is not ours to count).
    const open = await new Promise<number>((resolve) =>
      server.server.http.getConnections((_e, count) => resolve(count)),
    );
    expect(open).toBe(0);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^ws_connections_open 0$/m);
    expect(text).toMatch(/^ws_messages_in_total\{type="subscribe"\} 2001$/m);
  }, 120_000);
});

describe('metrics', () => {
  it('serves Prometheus text on GET /metrics of the WebSocket port', async () => {
    const peer = await TestPeer.connect(server.url);
    await peer.request('nope', {});
    await peer.ok('ping');
    const response = await fetch(`${server.url.replace('ws://', 'http://')}metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    for (const name of [
      'ws_connections_open 1',
      'ws_errors_total{code="UNKNOWN_TYPE"}',
      'ws_messages_out_total{type="pong"}',
      'ws_ack_latency_seconds_bucket',
      'ws_closes_total',
      'ws_rate_limited_total',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(text, name).toContain(name);
    }
    await peer.close();
  });
});
