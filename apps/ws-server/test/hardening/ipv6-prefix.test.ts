// The per-address connection cap counts an IPv6 client by its /64 (CLIENT_IPV6_PREFIX_BITS): one
// subscriber's 2^64 addresses share one count.
import { TrustedProxies } from '@app/core';
import { afterEach, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { upgradeStatus } from '../helpers/upgrade-status.js';

let server: TestServer | undefined;
const held: WebSocket[] = [];
afterEach(async () => {
  for (const socket of held.splice(0)) socket.terminate();
  await server?.close();
  server = undefined;
});

async function hold(url: string, address: string): Promise<void> {
  const socket = new WebSocket(url, { headers: { 'x-forwarded-for': address } });
  held.push(socket);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('unexpected-response', () => reject(new Error('refused')));
  });
}

describe('per-address cap by IPv6 prefix', () => {
  it('refuses a second address of the same /64 (429) and admits another /64', async () => {
    server = await startServer(inject('mongodbUri'), {
      maxConnectionsPerIp: 1,
      trustedProxies: new TrustedProxies('loopback'),
    });
    await hold(server.url, '2001:db8:0:1::1');
    expect(await upgradeStatus(server.url, { headers: { 'x-forwarded-for': '2001:db8:0:1::2' } })).toBe(429);
    expect(await upgradeStatus(server.url, { headers: { 'x-forwarded-for': '2001:db8:0:2::1' } })).toBe(101);
  });

  it('counts each address with a prefix of 128', async () => {
    server = await startServer(inject('mongodbUri'), {
      maxConnectionsPerIp: 1,
      ipv6PrefixBits: 128,
      trustedProxies: new TrustedProxies('loopback'),
    });
    await hold(server.url, '2001:db8:0:1::1');
    expect(await upgradeStatus(server.url, { headers: { 'x-forwarded-for': '2001:db8:0:1::2' } })).toBe(101);
  });
});
