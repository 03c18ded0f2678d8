import { describe, expect, it } from 'vitest';
import { addressKey } from '../src/client-address.js';

describe('addressKey', () => {
  it.each([
    ['203.0.113.7', 64, '203.0.113.7'],
    ['2001:db8:0:1::1', 64, '2001:db8:0:1::/64'],
    ['2001:db8:0:1:ffff:ffff:ffff:ffff', 64, '2001:db8:0:1::/64'],
    ['2001:db8:0:1:ffff::1', 48, '2001:db8::/48'],
    ['2001:db8:abcd:12ff::1', 56, '2001:db8:abcd:1200::/56'],
    ['2001:db8::1', 128, '2001:db8::1'],
    ['::1', 64, '::/64'],
    ['64:ff9b::192.0.2.33', 96, '64:ff9b::/96'],
    ['fe80::1%eth0', 64, 'fe80::/64'],
    ['unknown', 64, 'unknown'],
  ])('%s by /%d is %s', (address, bits, key) => {
    expect(addressKey(address, bits)).toBe(key);
  });
});
