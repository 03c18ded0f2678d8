import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Backoff, backoffDelay, type BackoffOptions } from '../src/backoff.js';

const options: BackoffOptions = { minDelayMs: 0, baseDelayMs: 100, maxDelayMs: 1_000, stableAfterMs: 5_000 };

describe('backoffDelay (full jitter)', () => {
  it('caps at base * 2^attempt, then at maxDelayMs', () => {
    expect([0, 1, 2, 3, 4, 5, 50].map((n) => backoffDelay(n, options, 0.999999))).toEqual(
      [100, 200, 400, 800, 1_000, 1_000, 1_000].map((cap) => cap * 0.999999),
    );
  });

  it('is uniform between minDelayMs and the cap', () => {
    expect(backoffDelay(3, options, 0)).toBe(0);
    expect(backoffDelay(3, options, 0.5)).toBe(400);
    const withMin = { ...options, minDelayMs: 50 };
    expect(backoffDelay(0, withMin, 0)).toBe(50);
    expect(backoffDelay(0, withMin, 0.5)).toBe(75);
    expect(backoffDelay(10, withMin, 1)).toBe(1_000);
  });
});

describe('Backoff', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('grows per attempt, stays within bounds and is jittered by Math.random', () => {
    const backoff = new Backoff(options);
    const caps = [100, 200, 400, 800, 1_000, 1_000, 1_000, 1_000];
    const delays = caps.map(() => backoff.next());
    delays.forEach((delay, i) => {
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(caps[i]!);
    });
    expect(new Set(delays).size).toBeGreaterThan(1); // not a fixed schedule
    expect(backoff.attempt).toBe(caps.length);
  });

  it('resets after a connection stayed open for stableAfterMs, not before', () => {
    const backoff = new Backoff(options, { random: () => 1 });
    expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([100, 200, 400]);
    backoff.opened();
    vi.advanceTimersByTime(4_999);
    expect(backoff.next()).toBe(800); // the connection dropped too soon: keep growing
    backoff.opened();
    vi.advanceTimersByTime(5_000);
    expect(backoff.next()).toBe(100);
    expect(backoff.next()).toBe(200);
  });

  it('does not reset on a failed attempt that never opened', () => {
    const backoff = new Backoff(options, { random: () => 1 });
    backoff.next();
    vi.advanceTimersByTime(60_000);
    expect(backoff.next()).toBe(200);
  });
});
