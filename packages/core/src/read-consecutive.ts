import type { EventDoc } from './db/models.js';

export interface ReadConsecutiveOptions {
  /** The first seq to read. */
  fromSeq: number;
  /** The last seq to read (inclusive); `Infinity` when the head is not known. */
  uptoSeq: number;
  /** Most events to read. */
  limit: number;
  /** Reads in the first chunk: 1 when the head is not known (a catch-up that usually finds nothing), else `maxChunk`. */
  firstChunk: number;
  /** Most reads in flight at once. */
  maxChunk: number;
  /** One event by its seq (a primary-key read), or null when there is none. */
  read: (seq: number) => Promise<EventDoc | null>;
  /** Receives the events read, in seq order (also those of a read that fails part way). */
  into: EventDoc[];
}

/**
 * Reads consecutive events by point reads (seqs are dense), in parallel chunks that grow fourfold from
 * `firstChunk` up to `maxChunk`, stopping at the first missing seq: every MongoDB-compatible server
 * answers those from its `_id` index, where FerretDB v1 answers range and sort queries on other
 * fields with a full scan.
 */
export async function readConsecutive(options: ReadConsecutiveOptions): Promise<void> {
  const { uptoSeq, limit, maxChunk, read, into } = options;
  const start = into.length;
  let next = options.fromSeq;
  let chunk = options.firstChunk;
  while (into.length - start < limit && next <= uptoSeq) {
    const count = Math.min(chunk, limit - (into.length - start), uptoSeq - next + 1);
    const docs = await Promise.all(Array.from({ length: count }, (_, i) => read(next + i)));
    for (const doc of docs) {
      if (doc === null) return;
      into.push(doc);
    }
    next += count;
    chunk = Math.min(maxChunk, chunk * 4);
  }
}
