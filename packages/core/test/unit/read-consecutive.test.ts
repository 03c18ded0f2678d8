import { describe, expect, it, vi } from 'vitest';
import type { EventDoc } from '../../src/db/models.js';
import { readConsecutive } from '../../src/read-consecutive.js';

function event(seq: number): EventDoc {
  return {
    _id: `p:${seq}`,
    projectId: 'p',
    seq,
    key: `~p:${seq}`,
    type: 'workspace.deleted',
    data: { id: `w${seq}` },
    createdAt: new Date(0),
  };
}

/**
 * A log of `stored` consecutive events whose reads the test answers chunk by chunk, so each chunk's
 * reads (all in flight at once) can be seen before the next chunk starts.
 */
function heldLog(stored: number) {
  const inFlight: { seq: number; answer: () => void }[] = [];
  const chunks: number[][] = [];
  const read = (seq: number): Promise<EventDoc | null> =>
    new Promise((resolve) => {
      inFlight.push({ seq, answer: () => resolve(seq <= stored ? event(seq) : null) });
    });
  /** Waits for the next chunk's reads, records their seqs and answers them. */
  const answerChunk = async (size: number): Promise<void> => {
    await vi.waitFor(() => expect(inFlight).toHaveLength(size));
    const chunk = inFlight.splice(0);
    chunks.push(chunk.map((r) => r.seq));
    for (const r of chunk) r.answer();
  };
  return { read, chunks, answerChunk, inFlight };
}

describe('readConsecutive (the event log reads by primary key in chunks)', () => {
  it('without a known head, starts with one read and grows each chunk fourfold up to maxChunk', async () => {
    const log = heldLog(200);
    const into: EventDoc[] = [];
    const done = readConsecutive({
      fromSeq: 1,
      uptoSeq: Infinity,
      limit: 100,
      firstChunk: 1,
      maxChunk: 16,
      read: log.read,
      into,
    });
    for (const size of [1, 4, 16, 16, 16, 16, 16, 15]) await log.answerChunk(size);
    await done;
    expect(log.chunks.map((c) => c.length)).toEqual([1, 4, 16, 16, 16, 16, 16, 15]);
    expect(log.chunks.flat()).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(into.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  it('with a known head, reads maxChunk at once and never past the head', async () => {
    const log = heldLog(1_000);
    const into: EventDoc[] = [];
    const done = readConsecutive({
      fromSeq: 11,
      uptoSeq: 50,
      limit: 1_000,
      firstChunk: 16,
      maxChunk: 16,
      read: log.read,
      into,
    });
    for (const size of [16, 16, 8]) await log.answerChunk(size);
    await done;
    expect(log.chunks.map((c) => [c[0], c.at(-1)])).toEqual([
      [11, 26],
      [27, 42],
      [43, 50],
    ]);
    expect(into).toHaveLength(40);
    expect(log.inFlight).toHaveLength(0);
  });

  it('stops at the first missing seq: keeps what came before it and reads no further chunk', async () => {
    const log = heldLog(7);
    const into: EventDoc[] = [];
    const done = readConsecutive({
      fromSeq: 1,
      uptoSeq: Infinity,
      limit: 100,
      firstChunk: 1,
      maxChunk: 64,
      read: log.read,
      into,
    });
    for (const size of [1, 4, 16]) await log.answerChunk(size);
    await done;
    expect(into.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(log.chunks.flat().at(-1)).toBe(21);
    expect(log.inFlight).toHaveLength(0);
  });

  it('appends to what `into` holds already (events taken from memory) and counts only its own reads against the limit', async () => {
    const log = heldLog(100);
    const into = [event(1), event(2)];
    const done = readConsecutive({
      fromSeq: 3,
      uptoSeq: Infinity,
      limit: 3,
      firstChunk: 1,
      maxChunk: 64,
      read: log.read,
      into,
    });
    for (const size of [1, 2]) await log.answerChunk(size);
    await done;
    expect(into.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('reads nothing when the head is before the first seq or the limit is 0', async () => {
    const log = heldLog(10);
    const into: EventDoc[] = [];
    await readConsecutive({ fromSeq: 5, uptoSeq: 4, limit: 10, firstChunk: 64, maxChunk: 64, read: log.read, into });
    await readConsecutive({
      fromSeq: 1,
      uptoSeq: Infinity,
      limit: 0,
      firstChunk: 1,
      maxChunk: 64,
      read: log.read,
      into,
    });
    expect(into).toEqual([]);
    expect(log.inFlight).toHaveLength(0);
  });

  it('keeps the events read before a read that fails, and passes the failure on', async () => {
    const into: EventDoc[] = [];
    const read = (seq: number): Promise<EventDoc | null> =>
      seq <= 5 ? Promise.resolve(event(seq)) : Promise.reject(new Error('connection lost'));
    await expect(
      readConsecutive({ fromSeq: 1, uptoSeq: Infinity, limit: 100, firstChunk: 1, maxChunk: 64, read, into }),
    ).rejects.toThrow('connection lost');
    expect(into.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
  });
});
