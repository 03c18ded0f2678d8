import { TrustedProxies } from '@app/core';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { TestPeer } from '../helpers/test-peer.js';
import { upgradeStatus } from '../helpers/upgrade-status.js';

const mongodbUri = inject('mongodbUri');
let server: TestServer | undefined;
const peers: TestPeer[] = [];

afterEach(async () => {
  await Promise.all(peers.splice(0).map((peer) => peer.close()));
  await server?.close();
  server = undefined;
});

/**
 * The test plays the proxy (it connects from 127.0.0.1): `sent` is what the client put in
 * X-Forwarded-For, and the proxy appends the client's real address as nginx's
 * `$proxy_add_x_forwarded_for` does.
 */
function viaProxy(realClient: string, sent?: string): { headers: Record<string, string> } {
  return { headers: { 'x-forwarded-for': sent === undefined ? realClient : `${sent}, ${realClient}` } };
}

async function hold(url: string, options: { headers: Record<string, string> }): Promise<TestPeer> {
  const peer = await TestPeer.connect(url, options);
  peers.push(peer);
  return peer;
}

describe('forwarded client addresses (issue 12, item 2)', () => {
  it('a client cannot choose its address with a spoofed left entry: five connections from one client meet the cap of 3', async () => {
    server = await startServer(mongodbUri, { trustedProxies: new TrustedProxies('127.0.0.1'), maxConnectionsPerIp: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const options = viaProxy('203.0.113.7', `198.51.100.${i + 1}`);
      if (i < 3) {
        await hold(server.url, options);
        statuses.push(101);
      } else {
        statuses.push(await upgradeStatus(server.url, options));
      }
    }
    expect(statuses).toEqual([101, 101, 101, 429, 429]);
    expect(server.server.guard.counts).toEqual({ total: 3, ips: 1 });
    expect(server.logs.join('\n')).toContain('Refused upgrade from 203.0.113.7: 429 max-per-ip');
  });

  it("a client cannot fill a victim's quota by naming the victim's address", async () => {
    server = await startServer(mongodbUri, { trustedProxies: new TrustedProxies('127.0.0.1'), maxConnectionsPerIp: 3 });
    for (let i = 0; i < 3; i += 1) await hold(server.url, viaProxy('203.0.113.7', '198.51.100.9'));
    expect(await upgradeStatus(server.url, viaProxy('203.0.113.7', '198.51.100.9'))).toBe(429);
    for (let i = 0; i < 3; i += 1) await hold(server.url, viaProxy('198.51.100.9'));
    expect(server.server.guard.counts).toEqual({ total: 6, ips: 2 });
  });

  it('skips every trusted hop given as CIDR ranges (a balancer in front of the local proxy)', async () => {
    server = await startServer(mongodbUri, {
      trustedProxies: new TrustedProxies('::ffff:127.0.0.1, 10.0.0.0/8'),
      maxConnectionsPerIp: 1,
    });
    await hold(server.url, viaProxy('203.0.113.7, 10.20.30.40', '198.51.100.1'));
    expect(await upgradeStatus(server.url, viaProxy('203.0.113.7, 10.99.0.1', '198.51.100.2'))).toBe(429);
    await hold(server.url, viaProxy('203.0.113.8, 10.20.30.40'));
    expect(server.server.guard.counts).toEqual({ total: 2, ips: 2 });
  });

  it('believes no X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    server = await startServer(mongodbUri, {
      trustedProxies: new TrustedProxies('10.0.0.0/8'),
      maxConnectionsPerIp: 1,
    });
    await hold(server.url, viaProxy('203.0.113.7'));
    expect(await upgradeStatus(server.url, viaProxy('203.0.113.8'))).toBe(429);
  });
});
