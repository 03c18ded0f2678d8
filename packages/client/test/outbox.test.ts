import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Outbox } from '../src/outbox.js';

describe('Outbox', () => {
  let expired: string[];
  beforeEach(() => {
    vi.useFakeTimers();
    expired = [];
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const make = (maxSize = 3, maxAgeMs = 1_000) =>
    new Outbox<string>({ maxSize, maxAgeMs, onExpire: (item) => expired.push(item) });

  it('drains in order, with requeued items first', () => {
    const outbox = make(5);
    outbox.push('c');
    outbox.push('d');
    outbox.requeue(['a', 'b']);
    expect(outbox.size).toBe(4);
    expect(outbox.drain()).toEqual(['a', 'b', 'c', 'd']);
    expect(outbox.size).toBe(0);
  });

  it('refuses new items beyond maxSize, but always takes requeued ones', () => {
    const outbox = make(2);
    expect(outbox.push('a')).toBe(true);
    expect(outbox.push('b')).toBe(true);
    expect(outbox.push('c')).toBe(false);
    outbox.requeue(['x']);
    expect(outbox.drain()).toEqual(['x', 'a', 'b']);
  });

  it('expires items older than maxAgeMs, each at its own time', () => {
    const outbox = make(5, 1_000);
    outbox.push('a');
    vi.advanceTimersByTime(400);
    outbox.push('b');
    vi.advanceTimersByTime(599);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(2);
    expect(expired).toEqual(['a']);
    vi.advanceTimersByTime(400);
    expect(expired).toEqual(['a', 'b']);
    expect(outbox.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('gives requeued items a fresh age and keeps one timer for the earliest', () => {
    const outbox = make(5, 1_000);
    outbox.push('old');
    vi.advanceTimersByTime(900);
    outbox.requeue(['resent']);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(101);
    expect(expired).toEqual(['old']);
    vi.advanceTimersByTime(900);
    expect(expired).toEqual(['old', 'resent']);
  });

  it('stops its timer when drained', () => {
    const outbox = make();
    outbox.push('a');
    expect(vi.getTimerCount()).toBe(1);
    outbox.drain();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(5_000);
    expect(expired).toEqual([]);
  });
});
