import { describe, expect, it } from 'vitest';
import { TrustedProxies, canonicalAddress, clientAddress } from '../src/client-address.js';
import { ConfigError, loadConfig } from '../src/config.js';

describe("clientAddress (the rule of Express's trust proxy)", () => {
  const proxies = new TrustedProxies('127.0.0.1, 10.0.0.0/8, fd00::/8');

  it("takes the rightmost X-Forwarded-For entry that is not a trusted proxy; entries to its left are the client's own", () => {
    // nginx's $proxy_add_x_forwarded_for appends the peer to what the client sent.
    expect(clientAddress('127.0.0.1', '198.51.100.1, 203.0.113.7', proxies)).toBe('203.0.113.7');
    expect(clientAddress('127.0.0.1', '6.6.6.6,203.0.113.7', proxies)).toBe('203.0.113.7');
    // two proxies in a row (balancer 10.x in front of the local nginx)
    expect(clientAddress('127.0.0.1', '198.51.100.1, 203.0.113.7, 10.1.2.3', proxies)).toBe('203.0.113.7');
    // several headers (Node joins them; a list is read the same way)
    expect(clientAddress('127.0.0.1', ['198.51.100.1', '203.0.113.7, 10.1.2.3'], proxies)).toBe('203.0.113.7');
  });

  it('believes nothing from a peer that is not a trusted proxy, and nothing at all without TRUSTED_PROXIES', () => {
    expect(clientAddress('203.0.113.7', '198.51.100.1', proxies)).toBe('203.0.113.7');
    expect(clientAddress('127.0.0.1', '198.51.100.1', new TrustedProxies())).toBe('127.0.0.1');
    expect(clientAddress('127.0.0.1', '198.51.100.1', new TrustedProxies(' '))).toBe('127.0.0.1');
    expect(clientAddress(undefined, '198.51.100.1', proxies)).toBe('unknown');
  });

  it('uses the leftmost entry when every hop is trusted, and stops at a malformed entry', () => {
    expect(clientAddress('127.0.0.1', '10.0.0.9, 10.0.0.8', proxies)).toBe('10.0.0.9');
    expect(clientAddress('127.0.0.1', undefined, proxies)).toBe('127.0.0.1');
    expect(clientAddress('127.0.0.1', '', proxies)).toBe('127.0.0.1');
    expect(clientAddress('127.0.0.1', '203.0.113.7, not-an-ip', proxies)).toBe('127.0.0.1');
    expect(clientAddress('127.0.0.1', 'not-an-ip, 10.0.0.5', proxies)).toBe('10.0.0.5');
  });

  it('matches IPv6 ranges and IPv4-mapped IPv6 addresses, and answers in one canonical spelling', () => {
    expect(clientAddress('::ffff:127.0.0.1', '203.0.113.7', proxies)).toBe('203.0.113.7');
    expect(clientAddress('::FFFF:7f00:1', '2001:DB8:0:0:0:0:0:1', proxies)).toBe('2001:db8::1');
    expect(clientAddress('fd12::5', '::ffff:203.0.113.7, fd00::1', proxies)).toBe('203.0.113.7');
    expect(clientAddress('::ffff:203.0.113.7', undefined, proxies)).toBe('203.0.113.7');
    const mapped = new TrustedProxies('::ffff:127.0.0.1, ::ffff:192.168.0.0/112');
    expect(clientAddress('127.0.0.1', '203.0.113.7', mapped)).toBe('203.0.113.7');
    expect(clientAddress('192.168.4.4', '203.0.113.7', mapped)).toBe('203.0.113.7');
    expect(clientAddress('192.169.0.1', '203.0.113.7', mapped)).toBe('192.169.0.1');
    expect(canonicalAddress('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(canonicalAddress('1.2.3.4:80')).toBeUndefined();
  });

  it("knows Express's named ranges", () => {
    const named = new TrustedProxies('loopback, uniquelocal');
    expect(['127.9.9.9', '::1', '10.1.1.1', '172.20.0.1', '192.168.1.1', 'fc00::1'].every((a) => named.has(a))).toBe(
      true,
    );
    expect(['8.8.8.8', '172.32.0.1', '2001:db8::1'].some((a) => named.has(a))).toBe(false);
  });
});

describe('TRUSTED_PROXIES in the config schema', () => {
  it('accepts addresses, CIDR ranges (IPv4, IPv6, IPv4-mapped) and named ranges', () => {
    const value = '127.0.0.1, 10.0.0.0/8, fd00::/8, ::ffff:127.0.0.1, ::ffff:10.0.0.0/104, loopback';
    expect(loadConfig({ AUTH_MODE: 'none', TRUSTED_PROXIES: value }).TRUSTED_PROXIES).toBe(value);
  });

  it.each([
    ['10.0.0.1, proxy.internal', 'entry 2 is not an IP address, a CIDR range'],
    ['10.0.0.0/33', 'entry 1 has a prefix length outside 0-32'],
    ['fd00::/129', 'entry 1 has a prefix length outside 0-128'],
    ['10.0.0.0/8/8', 'entry 1 is not an IP address'],
    ['10.0.0.0/x', 'entry 1 has a prefix length'],
  ])('refuses %s with a message naming the variable and the entry', (value, message) => {
    let error: unknown;
    try {
      loadConfig({ AUTH_MODE: 'none', TRUSTED_PROXIES: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(`TRUSTED_PROXIES: ${message}`);
    expect(() => new TrustedProxies(value)).toThrow(message);
  });
});
