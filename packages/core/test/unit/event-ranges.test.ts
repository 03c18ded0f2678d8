// The event log's shared reads never answer "not stored" for an event stored before the caller
// began: under generated interleavings of appends (acked only once visible) and readers (ranges and
// single events) over a database double whose reads see the state of when they were issued and
// answer late, every reader sees every event acked before it began. Joining any read in flight (the
// old rule) fails this (FC_SEED=1738203646; docs/decisions/0010-event-range-reads.md).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EventDoc, Models, StoredEventDoc } from '../../src/db/models.js';
import { EventLog, toStoredEvent } from '../../src/event-log.js';
import { fcParams } from '../helpers/fc-params.js';

const P = 'p';

function event(seq: number): EventDoc {
  return {
    _id: EventLog.eventId(P, seq),
    projectId: P,
    seq,
    key: `~${P}:${seq}`,
    type: 'workspace.deleted',
    data: { id: `w${seq}` },
    createdAt: new Date(seq),
  };
}

/** The events collection as a double: reads see what was stored when they were issued, answered when the scheduler says. */
function databaseDouble(s: fc.Scheduler) {
  const stored = new Map<string, StoredEventDoc>();
  const Event = {
    find(filter: { _id: { $in: string[] } }) {
      const found = filter._id.$in.flatMap((id) => (stored.has(id) ? [stored.get(id)!] : []));
      const chain = {
        batchSize: () => chain,
        lean: () => chain,
        exec: () => s.schedule(Promise.resolve(found), `read ${filter._id.$in.length} ids, ${found.length} found`),
      };
      return chain;
    },
    collection: {
      async insertMany(docs: StoredEventDoc[]) {
        await s.schedule(Promise.resolve(), `store ${docs.map((d) => d.seq).join(',')}`);
        for (const doc of docs) stored.set(doc._id, doc);
        return { insertedCount: docs.length };
      },
    },
  };
  return { models: { Event } as unknown as Models, stored };
}

const step = fc.oneof(
  fc.record({ kind: fc.constant('append' as const), count: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('range' as const), back: fc.integer({ min: 0, max: 70 }) }),
  fc.record({ kind: fc.constant('one' as const), back: fc.integer({ min: 0, max: 3 }) }),
);

describe('EventLog shared reads under generated interleavings', () => {
  it('never answer "not stored" for an event acked before the reader began', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 0, max: 130 }),
        fc.array(step, { maxLength: 12 }),
        async (s, initial, steps) => {
          const { models, stored } = databaseDouble(s);
          for (let seq = 1; seq <= initial; seq += 1) stored.set(EventLog.eventId(P, seq), toStoredEvent(event(seq)));
          const log = new EventLog(models, undefined, { readConcern: 'default' });
          let appended = initial;
          let acked = initial;
          const ackedSeqs = new Set<number>();
          const checks: Promise<void>[] = [];
          const check = (promise: Promise<void>): void => {
            promise.catch(() => {}); // reported after the run
            checks.push(promise);
          };
          await s.waitFor(
            (async () => {
              for (const next of steps) {
                if (next.kind === 'append') {
                  const first = appended + 1;
                  appended += next.count;
                  const events = Array.from({ length: next.count }, (_, i) => event(first + i));
                  // Not awaited: readers start while it is stored; `acked` moves only once it is.
                  void log.appendMany(events).then(() => {
                    for (const e of events) ackedSeqs.add(e.seq);
                    while (ackedSeqs.has(acked + 1)) acked += 1; // every seq up to `acked` is stored and acked
                  });
                } else {
                  const ackedAtStart = acked;
                  const after = Math.max(0, ackedAtStart - next.back);
                  if (next.kind === 'range') {
                    check(
                      log.readAfter(P, after, 1_000).then((read) => {
                        expect(read.length).toBeGreaterThanOrEqual(ackedAtStart - after);
                        expect(read.map((e) => e.seq)).toEqual(read.map((_, i) => after + 1 + i));
                      }),
                    );
                  } else if (after + 1 <= ackedAtStart) {
                    check(
                      log.findById(P, after + 1).then((found) => {
                        expect(found?.seq).toBe(after + 1);
                      }),
                    );
                  }
                }
                await s.schedule(Promise.resolve(), 'next step');
              }
            })(),
          );
          const failures = (await s.waitFor(Promise.allSettled(checks))).filter((r) => r.status === 'rejected');
          if (failures.length > 0) throw (failures[0] as PromiseRejectedResult).reason;
        },
      ),
      fcParams(300),
    );
  });
});
