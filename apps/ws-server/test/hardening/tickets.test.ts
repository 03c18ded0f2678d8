import { createClient, wsTicket, type Client } from '@app/client';
import { createAuthenticator } from '@app/core';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { TestPeer } from '../helpers/test-peer.js';
import { TEST_SECRET, token } from '../helpers/tokens.js';
import { upgradeStatus } from '../helpers/upgrade-status.js';

// Two nodes over one database: a ticket opens one connection on any node, once.
let a: TestServer;
let b: TestServer;
const clients: Client[] = [];

beforeAll(async () => {
  const authenticator = createAuthenticator({ mode: 'jwt', secret: TEST_SECRET, clockToleranceSec: 0 });
  a = await startServer(inject('mongodbUri'), { authenticator });
  b = await startServer(inject('mongodbUri'), { authenticator, dbName: a.dbName });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});
afterAll(async () => {
  await b?.close({ drop: false });
  await a?.close();
});

const alice = { subject: 'alice', projects: new Set(['tickets-a']) };

describe('single-use WebSocket tickets (no token in the URL)', () => {
  it('opens one connection, on either node, and is refused the second time (401)', async () => {
    const { ticket } = a.core.tickets.issue(alice);
    expect(await upgradeStatus(`${b.url}?ticket=${encodeURIComponent(ticket)}`)).toBe(101);
    expect(await upgradeStatus(`${a.url}?ticket=${encodeURIComponent(ticket)}`)).toBe(401);
    expect(await upgradeStatus(`${b.url}?ticket=${encodeURIComponent(ticket)}`)).toBe(401);
  });

  it('opens exactly one of many simultaneous upgrades with the same ticket, across nodes', async () => {
    const { ticket } = a.core.tickets.issue(alice);
    const url = (node: TestServer) => `${node.url}?ticket=${encodeURIComponent(ticket)}`;
    const statuses = await Promise.all([a, b, a, b, a, b].map((node) => upgradeStatus(url(node))));
    expect(statuses.filter((status) => status === 101)).toHaveLength(1);
    expect(statuses.filter((status) => status === 401)).toHaveLength(5);
  });

  it('refuses an expired, tampered or foreign ticket with 401, and never logs one', async () => {
    const expired = a.core.tickets.issue(alice, Date.now() - 60_000).ticket;
    const { ticket } = a.core.tickets.issue(alice);
    const [payload, expiry, signature] = ticket.split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify({ s: 'admin', p: '*', n: 'x' })).toString('base64url');
    for (const bad of [
      expired,
      `${forged}.${expiry}.${signature}`,
      `${payload}.${Number(expiry) + 1}.${signature}`,
      'x',
      '',
    ]) {
      expect(await upgradeStatus(`${a.url}?ticket=${encodeURIComponent(bad)}`), bad.slice(0, 12)).toBe(401);
    }
    expect([...a.logs, ...b.logs].join('\n')).not.toContain(signature);
  });

  it('carries the principal: its projects only, and the token’s expiry (closed with 4001 then)', async () => {
    const { ticket } = a.core.tickets.issue(alice);
    const peer = await TestPeer.connect(`${a.url}?ticket=${encodeURIComponent(ticket)}`);
    expect(await peer.ok('subscribe', { projectId: 'tickets-a' })).toMatchObject({ seq: 0 });
    expect(await peer.request('subscribe', { projectId: 'tickets-b' })).toMatchObject({ code: 'FORBIDDEN' });
    await peer.close();
    const expiring = a.core.tickets.issue({ subject: 'bob', projects: '*', expiresAt: Date.now() + 1_500 });
    const short = await TestPeer.connect(`${a.url}?ticket=${encodeURIComponent(expiring.ticket)}`);
    expect((await short.closed).code).toBe(4001);
  });

  it('still accepts the old form: a token in ?access_token=', async () => {
    const jwt = await token({ sub: 'old-client', projects: '*' });
    expect(await upgradeStatus(`${a.url}?access_token=${jwt}`)).toBe(101);
  });
});

describe('@app/client with a ticket function', () => {
  it('connects with a fresh ticket on every attempt and never puts a token in the URL', async () => {
    const urls: string[] = [];
    class RecordingWebSocket extends WebSocket {
      constructor(url: string) {
        super(url);
        urls.push(url);
      }
    }
    const jwt = await token({ sub: 'carol', projects: '*' });
    // What POST /api/ws-ticket does, behind a fetch that checks the token travels in the header.
    const fakeFetch = (async (_url: string, init: RequestInit) => {
      const authorization = (init.headers as Record<string, string>)['authorization'];
      expect(authorization).toBe(`Bearer ${jwt}`);
      const { ticket } = a.core.tickets.issue({ subject: 'carol', projects: '*' });
      return new Response(JSON.stringify({ ticket }), { status: 200 });
    }) as typeof fetch;
    const client = createClient({
      url: [a.url, b.url],
      ticket: wsTicket({ url: 'http://api.invalid/api/ws-ticket', token: jwt, fetch: fakeFetch }),
      WebSocket: RecordingWebSocket,
      reconnect: { minDelayMs: 10, maxDelayMs: 50 },
    });
    clients.push(client);
    await client.ping();
    for (const connection of a.server.connections) connection.socket.terminate(); // reconnects, to b
    await vi.waitFor(() => expect(urls).toHaveLength(2));
    await client.ping();
    expect(urls.every((url) => new URL(url).searchParams.has('ticket'))).toBe(true);
    expect(urls.join(' ')).not.toContain('access_token');
    expect(urls.join(' ')).not.toContain(jwt);
    expect(new Set(urls.map((url) => new URL(url).searchParams.get('ticket'))).size).toBe(2);
  });
});
