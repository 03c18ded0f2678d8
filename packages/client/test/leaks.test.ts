import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, type Client, type WebSocketLike } from '../src/index.js';
import { next, recordSubscription, testClient } from './helpers/client.js';
import { startStubServer, type StubServer } from './helpers/stub-server.js';

/** TCP sockets alive in this process right now. */
function sockets(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'TCPSocketWrap').length;
}

/**
 * Counts the timers started through the global setTimeout/setInterval (by the client and `ws`) that are still
 * pending. More precise than `getActiveResourcesInfo()`, whose 'Timeout' count includes the test runner's own.
 */
function trackTimers(): { pending: () => number; restore: () => void } {
  const live = new Set<unknown>();
  const {
    setTimeout: realSet,
    clearTimeout: realClear,
    setInterval: realInterval,
    clearInterval: realClearInterval,
  } = globalThis;
  globalThis.setTimeout = ((fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const handle = realSet(
      (...a: unknown[]) => {
        live.delete(handle);
        fn(...a);
      },
      ms,
      ...args,
    );
    live.add(handle);
    return handle;
  }) as typeof setTimeout;
  globalThis.setInterval = ((fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const handle = realInterval(fn, ms, ...args);
    live.add(handle);
    return handle;
  }) as typeof setInterval;
  globalThis.clearTimeout = ((handle: Parameters<typeof clearTimeout>[0]) => {
    live.delete(handle);
    realClear(handle);
  }) as typeof clearTimeout;
  globalThis.clearInterval = ((handle: Parameters<typeof clearInterval>[0]) => {
    live.delete(handle);
    realClearInterval(handle);
  }) as typeof clearInterval;
  return {
    pending: () => live.size,
    restore: () =>
      Object.assign(globalThis, {
        setTimeout: realSet,
        clearTimeout: realClear,
        setInterval: realInterval,
        clearInterval: realClearInterval,
      }),
  };
}

let server: StubServer;
let timers: ReturnType<typeof trackTimers> | undefined;
afterEach(async () => {
  timers?.restore();
  timers = undefined;
  await server?.close();
});

describe('close() leaves nothing behind (real sockets)', () => {
  it('while open, with a subscription, a request in flight and a queued keep-alive', async () => {
    server = await startStubServer({ hello: { heartbeatMs: 1_000 } });
    const baseline = sockets();
    timers = trackTimers();
    const client = testClient(server.url, { requestTimeoutMs: 60_000 });
    recordSubscription(client, 'p1');
    const peer = await server.peer(0);
    await peer.take('subscribe');
    const inFlight = client.listWorkspaces({ projectId: 'p1' }).catch((e: unknown) => e);
    await peer.take('workspace.list');
    expect(timers.pending()).toBe(3); // liveness + reply timers of subscribe and list
    expect(sockets()).toBe(baseline + 2);
    await client.close();
    await peer.closed;
    expect(await inFlight).toMatchObject({ code: 'CLOSED' });
    expect(timers.pending()).toBe(0);
    expect(sockets()).toBe(baseline);
  });

  it('while waiting to reconnect', async () => {
    server = await startStubServer();
    const baseline = sockets();
    timers = trackTimers();
    const client = testClient(server.url, { reconnect: { minDelayMs: 60_000, maxDelayMs: 60_000 } });
    const peer = await server.peer(0);
    const reconnecting = next(client, 'state', (state) => state === 'reconnecting');
    await peer.drop();
    await reconnecting;
    const queued = client.ping().catch((e: unknown) => e);
    expect(timers.pending()).toBe(2); // reconnect + queue expiry
    await client.close();
    expect(await queued).toMatchObject({ code: 'CLOSED' });
    expect(timers.pending()).toBe(0);
    expect(sockets()).toBe(baseline);
  });

  it('while connecting, before hello', async () => {
    server = await startStubServer({ hello: false });
    const baseline = sockets();
    timers = trackTimers();
    const client = testClient(server.url);
    const peer = await server.peer(0);
    expect(timers.pending()).toBe(1); // connect timeout
    await client.close();
    await peer.closed;
    expect(timers.pending()).toBe(0);
    expect(sockets()).toBe(baseline);
  });

  it('after a terminal close, without calling close()', async () => {
    server = await startStubServer();
    const baseline = sockets();
    timers = trackTimers();
    const client = testClient(server.url);
    const peer = await server.peer(0);
    const error = next(client, 'error');
    await peer.close(4001);
    await error;
    expect(client.state).toBe('closed');
    expect(timers.pending()).toBe(0);
    expect(sockets()).toBe(baseline);
  });
});

/** A socket that never opens; `close()` reports the close like a browser would. */
class NeverOpens implements WebSocketLike {
  readonly readyState = 0;
  onopen = null;
  onmessage = null;
  onerror = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  send(): void {}
  close(): void {
    queueMicrotask(() => this.onclose?.({ code: 1006, reason: '' }));
  }
}

describe('close() leaves no timers (fake timers)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('clears connect, queue-expiry, reconnect and retry timers', async () => {
    vi.useFakeTimers();
    let client: Client = createClient({ url: 'ws://test/', WebSocket: NeverOpens, connectTimeoutMs: 1_000 });
    void client.ping().catch(() => {});
    expect(vi.getTimerCount()).toBe(2); // connect timeout + queue expiry
    await client.close();
    expect(vi.getTimerCount()).toBe(0);

    client = createClient({ url: 'ws://test/', WebSocket: NeverOpens, connectTimeoutMs: 1_000 });
    vi.advanceTimersByTime(1_000); // connect timeout: abort, schedule a reconnect
    expect(client.state).toBe('reconnecting');
    expect(vi.getTimerCount()).toBe(1);
    await client.close();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(120_000);
    expect(client.state).toBe('closed');
  });
});
