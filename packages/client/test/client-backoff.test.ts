import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient, type Client } from '../src/index.js';
import { FakeSocket } from './helpers/fake-socket.js';

let client: Client;
beforeEach(() => {
  vi.useFakeTimers();
  vi.spyOn(Math, 'random').mockReturnValue(0.5);
  FakeSocket.reset();
});
afterEach(async () => {
  await client.close();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** Drops the current socket and returns how long the client waited before opening the next one. */
function dropAndMeasure(): number {
  const before = FakeSocket.instances.length;
  FakeSocket.last().serverClose(1006);
  let waited = 0;
  while (FakeSocket.instances.length === before) {
    vi.advanceTimersByTime(1);
    waited += 1;
  }
  return waited;
}

describe('client reconnect timing', () => {
  it('waits a jittered, growing, capped delay, and starts over after a stable connection', () => {
    const reconnect = { baseDelayMs: 100, maxDelayMs: 500, stableAfterMs: 1_000 };
    client = createClient({ url: 'ws://test/', WebSocket: FakeSocket, reconnect, keepAlive: { mode: 'off' } });
    // random() = 0.5: half of min(500, 100 * 2^n)
    expect([dropAndMeasure(), dropAndMeasure(), dropAndMeasure(), dropAndMeasure(), dropAndMeasure()]).toEqual([
      50, 100, 200, 250, 250,
    ]);
    FakeSocket.last().hello();
    vi.advanceTimersByTime(999);
    expect(dropAndMeasure()).toBe(250); // up for less than stableAfterMs: no reset
    FakeSocket.last().hello();
    vi.advanceTimersByTime(1_000);
    expect(dropAndMeasure()).toBe(50);
    expect(dropAndMeasure()).toBe(100);
  });
});
