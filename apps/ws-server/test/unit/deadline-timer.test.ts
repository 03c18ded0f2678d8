import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_MS, startDeadlineTimer } from '../../src/deadline-timer.js';

const DAY_MS = 24 * 60 * 60 * 1000;

beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('startDeadlineTimer', () => {
  it("fires a deadline 30 days away at 30 days, not at setTimeout's 24.8-day limit", () => {
    const fired: number[] = [];
    const start = Date.now();
    startDeadlineTimer(start + 30 * DAY_MS, () => fired.push(Date.now() - start));
    vi.advanceTimersByTime(MAX_TIMER_MS + 1_000);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(30 * DAY_MS - (MAX_TIMER_MS + 1_000) - 1);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([30 * DAY_MS]);
    vi.advanceTimersByTime(100 * DAY_MS);
    expect(fired).toHaveLength(1);
  });

  it('fires a deadline 100 days away (several re-arms) exactly once, on time', () => {
    const fired: number[] = [];
    const start = Date.now();
    startDeadlineTimer(start + 100 * DAY_MS, () => fired.push(Date.now() - start));
    vi.advanceTimersByTime(100 * DAY_MS - 1);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(200 * DAY_MS);
    expect(fired).toEqual([100 * DAY_MS]);
  });

  it('fires a short or past deadline as a plain timer would', () => {
    const fired: string[] = [];
    startDeadlineTimer(Date.now() + 1_000, () => fired.push('soon'));
    startDeadlineTimer(Date.now() - 5_000, () => fired.push('past'));
    vi.advanceTimersByTime(0);
    expect(fired).toEqual(['past']);
    vi.advanceTimersByTime(1_000);
    expect(fired).toEqual(['past', 'soon']);
  });

  it('never fires once stopped, also between re-arms', () => {
    const fired: string[] = [];
    const timer = startDeadlineTimer(Date.now() + 60 * DAY_MS, () => fired.push('fired'));
    vi.advanceTimersByTime(MAX_TIMER_MS + 1);
    timer.stop();
    vi.advanceTimersByTime(100 * DAY_MS);
    expect(fired).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
