import type { EventBus, EventListener } from '@app/core';
import { encodeEvent, type ServerEvent } from '@app/protocol';
import { describe, expect, it, vi } from 'vitest';
import { Rooms, type FetchAfter } from '../../src/rooms.js';
import { Subscription } from '../../src/subscription.js';

/** A bus that delivers only what the test emits, and reconnects on demand: Redis' failure modes by hand. */
class LossyBus implements EventBus {
  readonly listeners = new Map<string, Set<EventListener>>();
  readonly reconnectListeners = new Set<() => void>();
  publish(): void {}
  subscribe(projectId: string, listener: EventListener): () => void {
    const set = this.listeners.get(projectId) ?? new Set();
    this.listeners.set(projectId, set);
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(projectId);
    };
  }
  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }
  emit(event: ServerEvent): void {
    for (const listener of [...(this.listeners.get(event.projectId) ?? [])]) listener(event);
  }
  reconnect(): void {
    for (const listener of [...this.reconnectListeners]) listener();
  }
  async close(): Promise<void> {}
}

const P = 'proj';
const ev = (seq: number, projectId = P): ServerEvent =>
  ({ type: 'workspace.deleted', projectId, seq, data: { id: `w${seq}` } }) as ServerEvent;

/** The stored log of project P (seq 1..head) and a fetchAfter over it that counts its calls. */
function log(head: number) {
  const events = Array.from({ length: head }, (_, i) => ev(i + 1));
  const calls: number[] = [];
  let gate: Promise<void> | undefined;
  let fail = false;
  const fetchAfter: FetchAfter = async (projectId, afterSeq) => {
    calls.push(afterSeq);
    const found = events.filter((e) => e.projectId === projectId && e.seq > afterSeq); // read at call time
    if (gate) await gate;
    if (fail) throw new Error('database down');
    return found;
  };
  return {
    events,
    calls,
    fetchAfter,
    append: (n = 1) => {
      for (let i = 0; i < n; i += 1) events.push(ev(events.length + 1));
    },
    hold: () => {
      let open!: () => void;
      gate = new Promise((resolve) => (open = resolve));
      return () => {
        gate = undefined;
        open();
      };
    },
    failNext: (value: boolean) => (fail = value),
  };
}

/** A subscription that records the seqs it sends (what its client would receive). */
function subscriber(rooms: Rooms, fetch: FetchAfter, startAt?: number) {
  const sent: number[] = [];
  const failures: string[] = [];
  const subscription = new Subscription({
    projectId: P,
    send: (text) => sent.push((JSON.parse(text.toString()) as { seq: number }).seq),
    fetch: async (after, upto) => (await fetch(P, after)).filter((e) => e.seq <= upto),
    encode: encodeEvent,
    fail: (reason) => failures.push(reason),
    maxBuffered: 1_000,
  });
  rooms.add(subscription);
  if (startAt !== undefined) subscription.start(startAt);
  return { subscription, sent, failures };
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('Rooms: node-level completeness over a lossy bus', () => {
  it('fills a gap from the event log once per room, not once per subscriber', async () => {
    const bus = new LossyBus();
    const store = log(2);
    const rooms = new Rooms(bus, { fetchAfter: store.fetchAfter, resyncIntervalMs: 0 });
    const subs = Array.from({ length: 5 }, () => subscriber(rooms, store.fetchAfter, 2));
    store.append(4); // seq 3..6 stored; the bus loses 3..5
    bus.emit(ev(6));
    await vi.waitFor(() => {
      for (const s of subs) expect(s.sent).toEqual([3, 4, 5, 6]);
    });
    expect(store.calls).toEqual([2]);
    bus.emit(ev(5)); // a late duplicate from the bus is dropped
    bus.emit(ev(7)); // (not stored yet, but in order: delivered)
    for (const s of subs) expect(s.sent).toEqual([3, 4, 5, 6, 7]);
    expect(rooms.stats).toMatchObject({ repairs: 1, backfilled: 4, failures: 0 }); // 3..6 from the log (6 also came by bus)
    rooms.close();
  });

  it('backfills events lost before a bus reconnect even when no later event arrives', async () => {
    const bus = new LossyBus();
    const store = log(3);
    const rooms = new Rooms(bus, { fetchAfter: store.fetchAfter, resyncIntervalMs: 0 });
    const a = subscriber(rooms, store.fetchAfter, 3);
    store.append(3);
    bus.emit(ev(4));
    expect(a.sent).toEqual([4]);
    // Redis restarts: 5 and 6 are stored and published while this node is not subscribed.
    bus.reconnect();
    await vi.waitFor(() => expect(a.sent).toEqual([4, 5, 6]));
    expect(store.calls).toEqual([4]);
    rooms.close();
  });

  it('finds a trailing loss with the periodic check, and stops checking when the last room goes', async () => {
    const bus = new LossyBus();
    const store = log(1);
    const rooms = new Rooms(bus, { fetchAfter: store.fetchAfter, resyncIntervalMs: 20 });
    const a = subscriber(rooms, store.fetchAfter, 1);
    store.append(2); // a failed publish: no reconnect, no later event
    await vi.waitFor(() => expect(a.sent).toEqual([2, 3]));
    rooms.remove(a.subscription);
    expect(rooms.counts).toEqual({ projects: 0, subscriptions: 0 });
    expect(bus.listeners.size).toBe(0);
    expect(bus.reconnectListeners.size).toBe(0);
    expect((rooms as unknown as { timer?: NodeJS.Timeout }).timer).toBeUndefined();
    // A new room starts checking again, from its own baseline.
    const b = subscriber(rooms, store.fetchAfter, 3);
    store.append(1);
    await vi.waitFor(() => expect(b.sent).toEqual([4]));
    rooms.close();
    expect(bus.listeners.size).toBe(0);
  });

  it('holds bus events that arrive during a log read and delivers everything once, in order', async () => {
    const bus = new LossyBus();
    const store = log(1);
    const rooms = new Rooms(bus, { fetchAfter: store.fetchAfter, resyncIntervalMs: 0 });
    const a = subscriber(rooms, store.fetchAfter, 1);
    const b = subscriber(rooms, store.fetchAfter, 1);
    const open = store.hold();
    store.append(3); // 2..4
    bus.emit(ev(4)); // gap: read starts and waits
    store.append(3); // 5..7 arrive on the bus meanwhile, out of order and twice
    bus.emit(ev(6));
    bus.emit(ev(5));
    bus.emit(ev(7));
    bus.emit(ev(5));
    expect(a.sent).toEqual([]);
    open();
    await vi.waitFor(() => {
      expect(a.sent).toEqual(range(2, 7));
      expect(b.sent).toEqual(range(2, 7));
    });
    rooms.close();
  });

  it('re-reads when a gap is still open after a read (the log grew meanwhile)', async () => {
    const bus = new LossyBus();
    const store = log(1);
    const rooms = new Rooms(bus, { fetchAfter: store.fetchAfter, resyncIntervalMs: 0 });
    const a = subscriber(rooms, store.fetchAfter, 1);
    const open = store.hold();
    store.append(1); // 2 is stored
    bus.emit(ev(4)); // 4 arrives: the read starts, and sees only 2
    store.append(2); // 3 and 4 are stored
    open();
    await vi.waitFor(() => expect(a.sent).toEqual([2, 3, 4]));
    expect(store.calls).toEqual([1, 2]);
    expect(a.failures).toEqual([]);
    rooms.close();
  });

  it('when the log cannot be read, delivers what it holds and lets each subscription decide (1011)', async () => {
    const bus = new LossyBus();
    const store = log(1);
    const rooms = new Rooms(bus, { fetchAfter: store.fetchAfter, resyncIntervalMs: 0 });
    const a = subscriber(rooms, store.fetchAfter, 1);
    store.append(2);
    store.failNext(true);
    bus.emit(ev(3));
    await vi.waitFor(() => expect(a.failures).toEqual(['repair-failed']));
    expect(a.sent).toEqual([]);
    expect(rooms.stats.failures).toBe(1);
    rooms.close();
  });

  it('never uses a subscription that is still preparing its reply as the baseline', async () => {
    const bus = new LossyBus();
    const store = log(50);
    const rooms = new Rooms(bus, { fetchAfter: store.fetchAfter, resyncIntervalMs: 0 });
    const pending = subscriber(rooms, store.fetchAfter); // lastSeq 0 until start()
    bus.reconnect(); // nothing known: no read of the whole log
    expect(store.calls).toEqual([]);
    pending.subscription.start(50);
    store.append(1);
    bus.reconnect();
    await vi.waitFor(() => expect(pending.sent).toEqual([51]));
    expect(store.calls).toEqual([50]);
    rooms.close();
  });

  it('checks a room whose subscriptions all started on an empty project (baseline 0)', async () => {
    const bus = new LossyBus();
    const store = log(0);
    const rooms = new Rooms(bus, { fetchAfter: store.fetchAfter, resyncIntervalMs: 20 });
    const a = subscriber(rooms, store.fetchAfter, 0);
    store.append(2); // the first events of the project, never heard on the bus
    await vi.waitFor(() => expect(a.sent).toEqual([1, 2]));
    rooms.close();
  });

  it('with the in-process bus and no log reader, passes events straight through', () => {
    const bus = new LossyBus();
    const rooms = new Rooms(bus);
    const fetch: FetchAfter = async () => [];
    const a = subscriber(rooms, fetch, 0);
    bus.emit(ev(1));
    bus.emit(ev(2));
    expect(a.sent).toEqual([1, 2]);
    expect(bus.reconnectListeners.size).toBe(0);
    rooms.close();
  });
});
