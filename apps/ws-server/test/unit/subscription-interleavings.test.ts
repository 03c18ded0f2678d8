import type { ServerEvent } from '@app/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Subscription } from '../../src/subscription.js';
import { fcParams } from '../helpers/fc-params.js';

// A subscription under generated interleavings of what races in a subscribe: live events (some lost
// on the way, as a bus loses them), the handler reading the head and answering with a snapshot or a
// replay, slow log reads, and a peer that stops reading now and then but always reads again.
// Invariants: the peer gets every seq after its starting point once, in order, up to the head; and
// a subscription whose peer reads is never closed for overflow, whatever the project's history or
// the replay's length (a replay of exactly `maxBuffered` events followed by live writes included).

const MAX_BUFFERED = 8;
const P = 'p';

const event = (seq: number): ServerEvent =>
  ({ type: 'workspace.deleted', projectId: P, seq, data: { id: `w${seq}` } }) as ServerEvent;
const range = (from: number, to: number): number[] =>
  Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

const scenario = fc.record({
  /** Events stored before the subscribe: often past `MAX_BUFFERED`, as a long-lived project is. */
  history: fc.integer({ min: 0, max: 4 * MAX_BUFFERED }),
  /** Replay length asked for (`sinceSeq = head - behind`), or a snapshot. */
  replay: fc.option(fc.oneof(fc.constant(MAX_BUFFERED), fc.integer({ min: 0, max: 3 * MAX_BUFFERED })), {
    nil: undefined,
  }),
  /** Live writes meanwhile (at most what the subscription may hold), each lost on the bus or not. */
  writes: fc.array(fc.boolean(), { maxLength: MAX_BUFFERED }),
  /** After each send, whether the peer stops reading for a while. */
  stalls: fc.array(fc.boolean(), { maxLength: 64 }),
});

describe('Subscription under generated interleavings', () => {
  it('delivers every seq after its start once and in order, and never closes a reading peer', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), scenario, async (s, { history, replay, writes, stalls }) => {
        const log: number[] = range(1, history);
        const received: number[] = [];
        let failed: string | undefined;
        let writable = true;
        let sends = 0;
        const subscription = new Subscription({
          projectId: P,
          send: (text) => {
            received.push(Number(text));
            if (stalls[sends++ % Math.max(1, stalls.length)] === true) writable = false;
          },
          fetch: s.scheduleFunction(async function fetch(afterSeq: number, uptoSeq: number, limit: number) {
            return log
              .filter((seq) => seq > afterSeq && seq <= uptoSeq)
              .slice(0, limit)
              .map(event);
          }),
          encode: (e) => String(e.seq),
          fail: (reason, error) => {
            failed = `${reason} ${String(error)}`;
          },
          maxBuffered: MAX_BUFFERED,
          writable: () => writable,
          onWritable: (wake) => {
            void s.schedule(Promise.resolve(), 'peer reads').then(() => {
              writable = true;
              wake();
            });
          },
        });
        // The writer: each write is stored, then offered (unless the bus lost it).
        s.scheduleSequence(
          writes.map((lost) => ({
            label: lost ? 'write (lost)' : 'write',
            builder: async () => {
              log.push(log.length + 1);
              if (!lost) subscription.deliver(log.length, String(log.length));
            },
          })),
        );
        // The subscribe handler: joined the room already; reads the head, replays or snapshots, acks.
        let from = 0;
        const handler = (async () => {
          await s.schedule(Promise.resolve(), 'head read');
          const head = log.length;
          from = replay === undefined ? head : Math.max(0, head - replay);
          if (replay !== undefined) await subscription.catchUp(from, head);
          await s.schedule(Promise.resolve(), 'ack sent');
          subscription.start(head);
        })();
        await s.waitFor(handler);
        await s.waitAll();
        // The room's periodic check offers the head (what a lost last event leaves unknown).
        if (log.length > 0) subscription.deliver(log.length, String(log.length));
        await s.waitAll();
        expect(failed).toBeUndefined();
        expect(subscription.closed).toBe(false);
        expect(received).toEqual(range(from + 1, log.length));
      }),
      fcParams(300),
    );
  });
});

describe('Subscription overflow', () => {
  it('still closes a peer that stops reading once more than maxBuffered live events pass its start', () => {
    let failed: string | undefined;
    const subscription = new Subscription({
      projectId: P,
      send: () => {},
      fetch: () => new Promise<never>(() => {}),
      encode: (e) => String(e.seq),
      fail: (reason) => (failed = reason),
      maxBuffered: MAX_BUFFERED,
      writable: () => false,
      onWritable: () => {},
    });
    const head = 10 * MAX_BUFFERED; // a long history does not count
    subscription.start(head);
    for (let seq = head + 1; seq <= head + MAX_BUFFERED; seq += 1) subscription.deliver(seq, String(seq));
    expect(failed).toBeUndefined();
    subscription.deliver(head + MAX_BUFFERED + 1, 'next');
    expect(failed).toBe('overflow');
    expect(subscription.closed).toBe(true);
  });
});
