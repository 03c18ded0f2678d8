import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { ANONYMOUS, createMetrics, type Authenticator, type Metrics, type Principal } from '@app/core';
import { ProtocolError } from '@app/protocol';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { TestPeer } from '../helpers/test-peer.js';
import { upgradeStatus } from '../helpers/upgrade-status.js';
import { parseOrigins } from '../../src/upgrade.js';

const mongodbUri = inject('mongodbUri');
let server: TestServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

/**
 * Admits the token `ok`, refuses any other; while `hold()` is in force, authentications wait until
 * it is lifted, and `started` tells when one has begun (a real slow authenticator, not a mock).
 */
function gatedAuthenticator(): Authenticator & { hold(): { started: Promise<void>; lift(): void } } {
  let gate: { started: () => void; lifted: Promise<void> } | undefined;
  return {
    mode: 'jwt',
    async authenticate(token): Promise<Principal> {
      if (gate !== undefined) {
        const { started, lifted } = gate;
        started();
        await lifted;
      }
      if (token !== 'ok') throw new ProtocolError('UNAUTHORIZED', 'Invalid or expired token');
      return ANONYMOUS;
    },
    hold() {
      let started!: () => void;
      let lift!: () => void;
      const startedPromise = new Promise<void>((resolve) => (started = resolve));
      const lifted = new Promise<void>((resolve) => (lift = resolve));
      gate = { started, lifted };
      return {
        started: startedPromise,
        lift: () => {
          gate = undefined;
          lift();
        },
      };
    },
  };
}

async function slots(metrics: Metrics): Promise<{ total: number; addresses: number }> {
  const text = await metrics.registry.metrics();
  const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  return { total: value('ws_connection_slots'), addresses: value('ws_connection_slot_addresses') };
}

/** Sends `head` on a raw TCP socket; resolves with the status line of the answer ('' if the socket closed without one). */
function rawUpgrade(port: number, head: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(head));
    let seen = '';
    socket.on('data', (chunk: Buffer) => (seen += chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => resolve(seen.split('\r\n')[0] ?? ''));
  });
}

function upgradeHead(options: { method?: string; key?: string | null; version?: string; token?: string } = {}): string {
  const key = options.key === undefined ? randomBytes(16).toString('base64') : options.key;
  return (
    `${options.method ?? 'GET'} /${options.token === undefined ? '' : `?access_token=${options.token}`} HTTP/1.1\r\n` +
    'Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    (key === null ? '' : `Sec-WebSocket-Key: ${key}\r\n`) +
    `Sec-WebSocket-Version: ${options.version ?? '13'}\r\n\r\n`
  );
}

describe('connection slots (issue 12, item 1)', () => {
  it('every way out of an upgrade releases its slot exactly once; the metrics return to 0 and the caps still hold', async () => {
    const metrics = createMetrics();
    const authenticator = gatedAuthenticator();
    server = await startServer(mongodbUri, {
      metrics,
      authenticator,
      maxConnectionsPerIp: 2,
      maxConnections: 3,
      allowedOrigins: parseOrigins('https://app.example.com'),
    });
    const test = server;
    const { port } = test.server;
    const released = async (step: string): Promise<void> =>
      vi.waitFor(async () => expect(await slots(metrics), step).toEqual({ total: 0, addresses: 0 }));

    // Refused by ws after the guard reserved a slot (wsClientError): each three times, more than the cap of 2.
    const wsRefusals: [string, string][] = [
      [upgradeHead({ token: 'ok', key: null }), 'HTTP/1.1 400 Bad Request'],
      [upgradeHead({ token: 'ok', key: 'too-short' }), 'HTTP/1.1 400 Bad Request'],
      [upgradeHead({ token: 'ok', version: '12' }), 'HTTP/1.1 400 Bad Request'],
      [upgradeHead({ token: 'ok', method: 'POST' }), 'HTTP/1.1 400 Bad Request'],
    ];
    for (const [head, status] of wsRefusals) {
      for (let i = 0; i < 3; i += 1) expect(await rawUpgrade(port, head), head.split('\r\n')[0]).toBe(status);
    }
    await released('refused by ws');

    // Refused by the guard: token (401) and origin (403).
    for (let i = 0; i < 3; i += 1) {
      expect(await upgradeStatus(`${test.url}?access_token=bad`)).toBe(401);
      expect(await upgradeStatus(`${test.url}?access_token=ok`, { origin: 'https://evil.example.com' })).toBe(403);
    }
    await released('refused by the guard');

    // The client goes away while it is being authenticated, with a reset or a FIN (a half-close the
    // server would otherwise keep open): the slot is free at once, not when authentication ends.
    for (const leave of ['reset', 'fin'] as const) {
      const gate = authenticator.hold();
      const client = net.connect(port, '127.0.0.1', () => client.write(upgradeHead({ token: 'ok' })));
      client.on('error', () => {});
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      await gate.started;
      expect((await slots(metrics)).total, leave).toBe(1);
      if (leave === 'reset') client.resetAndDestroy();
      else client.end();
      await released(`${leave} during authentication`);
      gate.lift();
      await closed;
    }
    await released('after authentication ended');

    // The caps still count right: two connections from this address, the third refused, all released after closes.
    const peers = [
      await TestPeer.connect(`${test.url}?access_token=ok`),
      await TestPeer.connect(`${test.url}?access_token=ok`),
    ];
    expect(await slots(metrics)).toEqual({ total: 2, addresses: 1 });
    expect(await upgradeStatus(`${test.url}?access_token=ok`)).toBe(429);
    await Promise.all(peers.map((peer) => peer.close()));
    await released('after closes');
    expect(test.server.guard.counts).toEqual({ total: 0, ips: 0 });
    expect(await upgradeStatus(`${test.url}?access_token=ok`)).toBe(101);
    await released('after the last connection');
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^ws_upgrades_refused_total\{reason="unauthorized"\} 3$/m);
    expect(text).toMatch(/^ws_upgrades_refused_total\{reason="origin"\} 3$/m);
    expect(text).toMatch(/^ws_upgrades_refused_total\{reason="max-per-ip"\} 1$/m);
  });
});
