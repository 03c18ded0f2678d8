import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_AFTER_MS, MAX_RETRY_AFTER_MS, retryAfterMsOf } from '../src/index.js';

describe('retryAfterMsOf', () => {
  const now = Date.parse('2026-12-03T04:00:00Z');
  it.each([
    [{ 'retry-after-ms': '1500' }, 1_500],
    [{ 'retry-after-ms': '1500', 'retry-after': '9' }, 1_500],
    [{ 'retry-after': '2' }, 2_000],
    [{ 'retry-after': '0.25' }, 250],
    [{ 'retry-after': '0' }, 1],
    [{ 'retry-after': 'Thu, 03 Dec 2026 04:00:30 GMT' }, 30_000],
    [{ 'retry-after': '86400' }, MAX_RETRY_AFTER_MS],
    [{ 'retry-after': 'soon' }, DEFAULT_RETRY_AFTER_MS],
    [{ 'retry-after-ms': 'x' }, DEFAULT_RETRY_AFTER_MS],
    [{}, DEFAULT_RETRY_AFTER_MS],
  ])('%j -> %i ms', (headers, expected) => {
    expect(retryAfterMsOf(new Headers(headers), now)).toBe(expected);
  });

  it('no headers at all: the default', () => {
    expect(retryAfterMsOf(undefined)).toBe(DEFAULT_RETRY_AFTER_MS);
  });
});
