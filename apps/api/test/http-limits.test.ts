// Limits in front of the REST handlers: the token is checked before a body is read; address and subject
// buckets live in separate stores; IPv6 callers are counted by their /64; the HTTP server times out slow
// requests and caps the connections of one address.
import { once } from 'node:events';
import net from 'node:net';
import { TrustedProxies, createAuthenticator, type Core } from '@app/core';
import { createTestCore, silentLogger } from '@app/core/testing';
import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createApi, createGracefulHttpServer, type HttpServerLimits } from '../src/index.js';
import { request, startApi } from './helpers/start-api.js';

const SECRET = 'rest-secret-that-is-at-least-32-characters';
let core: Core;

beforeAll(async () => {
  core = await createTestCore(inject('mongodbUri'));
});
afterAll(async () => {
  await core.close();
});
afterEach(() => {
  vi.restoreAllMocks();
});

const bearer = (sub: string): Promise<Record<string, string>> =>
  new SignJWT({ projects: '*' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET))
    .then((jwt) => ({ authorization: `Bearer ${jwt}` }));

describe('REST gate', () => {
  it('answers 401 to a 900 kB body with a bad token without parsing it', async () => {
    await using api = await startApi({ core, authenticator: createAuthenticator({ mode: 'jwt', secret: SECRET }) });
    const parse = vi.spyOn(JSON, 'parse');
    const res = await request(`${api.url}/api/projects/big/workspaces`, {
      method: 'POST',
      body: { name: 'x', data: { s: 'x'.repeat(900_000) } },
      headers: { authorization: 'Bearer not-a-token' },
    });
    expect(res.status).toBe(401);
    expect(parse.mock.calls.filter(([text]) => typeof text === 'string' && text.length > 100_000)).toEqual([]);
  });

  it("keeps a subject's bucket through a flood of bad tokens from rotating addresses", async () => {
    await using api = await startApi({
      core,
      authenticator: createAuthenticator({ mode: 'jwt', secret: SECRET }),
      rateLimit: { ratePerSec: 0.001, burst: 2, maxKeys: 10 },
      trustedProxies: new TrustedProxies('loopback'),
    });
    const url = `${api.url}/api/projects/rl/workspaces`;
    const headers = await bearer('spent');
    expect([(await request(url, { headers })).status, (await request(url, { headers })).status]).toEqual([200, 200]);
    expect((await request(url, { headers })).status).toBe(429);
    for (let i = 0; i < 30; i += 1) {
      const res = await request(url, {
        headers: { authorization: 'Bearer bad', 'x-forwarded-for': `198.51.100.${i}` },
      });
      expect(res.status).toBe(401);
    }
    expect((await request(url, { headers })).status).toBe(429);
  });

  it('limits unauthenticated IPv6 callers by their /64', async () => {
    await using api = await startApi({
      core,
      rateLimit: { ratePerSec: 0.001, burst: 2 },
      trustedProxies: new TrustedProxies('loopback'),
    });
    const url = `${api.url}/api/projects/rl6/workspaces`;
    const from = (address: string) => request(url, { headers: { 'x-forwarded-for': address } });
    expect((await from('2001:db8:0:1::1')).status).toBe(200);
    expect((await from('2001:db8:0:1::2')).status).toBe(200);
    expect((await from('2001:db8:0:1:ffff:1:2:3')).status).toBe(429);
    expect((await from('2001:db8:0:2::1')).status).toBe(200);
  });
});

describe('HTTP server limits', () => {
  const limits = (overrides: Partial<HttpServerLimits>): HttpServerLimits => ({
    headersTimeoutMs: 60_000,
    requestTimeoutMs: 60_000,
    maxConnectionsPerIp: 100,
    trustedProxies: new TrustedProxies(),
    ipv6PrefixBits: 64,
    ...overrides,
  });

  async function listen(serverLimits: HttpServerLimits) {
    const http = createGracefulHttpServer(createApi({ core, logger: silentLogger() }), serverLimits);
    http.server.listen(0, '127.0.0.1');
    await once(http.server, 'listening');
    const { port } = http.server.address() as net.AddressInfo;
    return { http, port, [Symbol.asyncDispose]: () => http.close(1_000) };
  }

  /** A raw connection; resolves with what the server wrote once it closed the connection. */
  function raw(port: number, send: string): { socket: net.Socket; ended: Promise<string> } {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.write(send);
    return { socket, ended: new Promise((resolve) => socket.once('close', () => resolve(text))) };
  }

  it('closes a connection whose headers do not arrive within the headers timeout (408)', async () => {
    await using server = await listen(limits({ headersTimeoutMs: 1_000, requestTimeoutMs: 1_000 }));
    const { ended } = raw(server.port, 'GET /health HTTP/1.1\r\nHost: x\r\n');
    // Node checks every second: closed between 1 and 2 s after; the bound only keeps a failure from hanging.
    const answer = await Promise.race([ended, new Promise<string>((r) => setTimeout(() => r('still open'), 8_000))]);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('closes connections of one address past the cap before reading them', async () => {
    await using server = await listen(limits({ maxConnectionsPerIp: 2 }));
    const held = [raw(server.port, ''), raw(server.port, '')];
    await Promise.all(held.map(({ socket }) => once(socket, 'connect')));
    const third = raw(server.port, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await third.ended).toBe('');
    for (const { socket } of held) socket.destroy();
    await Promise.all(held.map(({ ended }) => ended));
    const again = raw(server.port, 'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(await again.ended).toMatch(/^HTTP\/1\.1 200/);
  });
});
