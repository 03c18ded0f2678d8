import { describe, expect, it } from 'vitest';
import type { EventDoc } from '../src/db/models.js';
import { EventTail } from '../src/event-tail.js';

const event = (seq: number, projectId = 'p', bytes = 10): EventDoc => ({
  _id: `${projectId}:${seq}`,
  projectId,
  seq,
  key: `~${projectId}:${seq}`,
  type: 'workspace.updated',
  data: { pad: 'x'.repeat(bytes) },
  createdAt: new Date(0),
});
const run = (from: number, to: number, projectId = 'p', bytes = 10): EventDoc[] =>
  Array.from({ length: to - from + 1 }, (_, i) => event(from + i, projectId, bytes));
const seqs = (events: EventDoc[]): number[] => events.map((e) => e.seq);
const size = (event: EventDoc): number => 256 + JSON.stringify(event.data).length * 2;

describe('EventTail', () => {
  it('answers the run it holds from afterSeq + 1, bounded by limit and uptoSeq, and nothing before its first event', () => {
    const tail = new EventTail(size, 100, 1 << 20);
    tail.add('p', run(5, 10));
    expect(seqs(tail.read('p', 4, 100))).toEqual([5, 6, 7, 8, 9, 10]);
    expect(seqs(tail.read('p', 6, 2))).toEqual([7, 8]);
    expect(seqs(tail.read('p', 6, 100, 8))).toEqual([7, 8]);
    expect(tail.read('p', 3, 100)).toEqual([]); // seq 4 is not held: the caller reads the log
    expect(tail.read('p', 10, 100)).toEqual([]);
    expect(tail.read('other', 0, 100)).toEqual([]);
  });

  it('extends with the next events, replaces itself after a hole, prepends a run that ends right before it, ignores what it holds', () => {
    const tail = new EventTail(size, 100, 1 << 20);
    tail.add('p', run(1, 3));
    tail.add('p', run(3, 5)); // overlaps: only 4 and 5 are new
    expect(seqs(tail.read('p', 0, 100))).toEqual([1, 2, 3, 4, 5]);
    tail.add('p', run(8, 9)); // a hole: only the newest run is kept
    expect(seqs(tail.read('p', 7, 100))).toEqual([8, 9]);
    expect(tail.read('p', 0, 100)).toEqual([]);
    tail.add('p', run(6, 7)); // ends right before it
    expect(seqs(tail.read('p', 5, 100))).toEqual([6, 7, 8, 9]);
    tail.add('p', [event(1), event(3)]); // not a run
    expect(seqs(tail.read('p', 5, 100))).toEqual([6, 7, 8, 9]);
  });

  it('keeps at most maxEventsPerProject, the newest', () => {
    const tail = new EventTail(size, 4, 1 << 20);
    tail.add('p', run(1, 10));
    expect(seqs(tail.read('p', 6, 100))).toEqual([7, 8, 9, 10]);
    tail.add('p', run(3, 6)); // older than the tail and not right before it
    expect(seqs(tail.read('p', 6, 100))).toEqual([7, 8, 9, 10]);
  });

  it('stays within its byte bound: the least recently used projects go first, then the oldest events', () => {
    const tail = new EventTail(size, 1_000, 20_000);
    tail.add('a', run(1, 10, 'a', 500));
    tail.add('b', run(1, 10, 'b', 500));
    expect(tail.size.bytes).toBeLessThanOrEqual(20_000);
    tail.read('a', 0, 1); // a is used: b goes first
    tail.add('c', run(1, 10, 'c', 500));
    expect(tail.size.bytes).toBeLessThanOrEqual(20_000);
    expect(tail.read('b', 0, 100)).toEqual([]);
    expect(seqs(tail.read('c', 0, 100))).toEqual(run(1, 10).map((e) => e.seq));
    tail.add('c', run(11, 200, 'c', 500)); // one project alone over the bound keeps its newest events
    expect(tail.size.bytes).toBeLessThanOrEqual(20_000);
    expect(tail.read('c', 199, 1)[0]?.seq).toBe(200);
    expect(tail.read('c', 10, 1)).toEqual([]); // its oldest events went
  });
});
