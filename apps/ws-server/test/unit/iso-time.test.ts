import { describe, expect, it } from 'vitest';
import { isoNow } from '../../src/iso-time.js';

describe('isoNow', () => {
  it('formats exactly as Date#toISOString, across seconds, milliseconds and the cache', () => {
    const base = Date.UTC(2026, 11, 31, 23, 59, 58, 0);
    const times = [
      base,
      base + 1,
      base + 9,
      base + 10,
      base + 99,
      base + 100,
      base + 999,
      base + 1000,
      base + 1001,
      base + 2500,
    ];
    times.push(0, 1, 999, Date.UTC(1999, 0, 1), Date.UTC(2038, 0, 19, 3, 14, 7, 5), base + 1000); // back to a cached second
    for (let i = 0; i < 2000; i += 1) times.push(Math.floor(Math.random() * 4_102_444_800_000)); // 1970 .. 2100
    for (const time of times) expect(isoNow(time)).toBe(new Date(time).toISOString());
  });

  it('defaults to the current time', () => {
    const before = Date.now();
    const ts = Date.parse(isoNow());
    expect(ts).toBeGreaterThanOrEqual(before);
    expect(ts).toBeLessThanOrEqual(Date.now());
  });
});
