import { describe, expect, it } from 'vitest';
import { KeyedTokenBuckets, TokenBucket } from '../src/token-bucket.js';

describe('token buckets', () => {
  it('a bucket grants its burst, then says how long until the next token, and refills at its rate', () => {
    let now = 0;
    const bucket = new TokenBucket(4, 2, () => now);
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([0, 0, 250]);
    now = 250;
    expect(bucket.take()).toBe(0);
  });

  it('keeps one bucket per key and at most maxKeys of them, dropping the least recently used', () => {
    let now = 0;
    const buckets = new KeyedTokenBuckets({ ratePerSec: 1, burst: 1, maxKeys: 2, now: () => now });
    expect([buckets.take('a'), buckets.take('a'), buckets.take('b')]).toEqual([0, 1000, 0]);
    expect(buckets.take('a')).toBe(1000); // 'a' is now the most recently used
    expect(buckets.take('c')).toBe(0); // drops 'b'
    expect(buckets.size).toBe(2);
    expect(buckets.take('a')).toBe(1000);
    expect(buckets.take('b')).toBe(0); // came back full; drops 'c'
    now = 1000;
    expect(buckets.take('a')).toBe(0);
    for (let i = 0; i < 1_000; i += 1) buckets.take(`k${i}`);
    expect(buckets.size).toBe(2);
  });
});
