import type { EventDoc, Models } from './db/models.js';
import { onlyDuplicateKeys } from './db/errors.js';
import { POINT_READ_CHUNK } from './db/point-reads.js';

/** Append-only, per-project event log with seq as `_id` suffix: a seq can never be stored twice. */
export class EventLog {
  constructor(private readonly models: Models) {}

  static eventId(projectId: string, seq: number): string {
    return `${projectId}:${seq}`;
  }

  static requestKey(subject: string, requestId: string): string {
    return JSON.stringify([subject, requestId]);
  }

  /**
   * Stores consecutive events with one ordered insert. Returns how many were stored (a prefix) and the
   * error that stopped the rest; when the failure leaves the count unknown (network), `inserted` is 0.
   */
  async appendMany(events: EventDoc[]): Promise<{ inserted: number; error?: unknown }> {
    try {
      await this.models.Event.collection.insertMany(events as never[], { ordered: true, writeConcern: { w: 'majority', j: true } });
      return { inserted: events.length };
    } catch (error) {
      return { inserted: insertedBefore(error), error };
    }
  }

  /** The event of an idempotency key, via its `requests` entry; null when the key was not applied (or not yet indexed). */
  async findByKey(key: string): Promise<EventDoc | null> {
    const request = await this.models.Request.findById(key).lean().exec();
    if (request === null) return null;
    return this.findById(request.projectId, request.seq);
  }

  /**
   * The slow path, and the one query of the server that no `_id` index answers on FerretDB v1 (the
   * `key` index serves it on MongoDB): search the log itself for a key, after a unique-key refusal
   * that the `requests` index does not explain (a crash between an event insert and its index entry).
   */
  async scanForKey(key: string): Promise<EventDoc | null> {
    return this.models.Event.findOne({ key }).lean<EventDoc>().exec();
  }

  /** Records where the keys of these events were applied; repeats are harmless. */
  async indexKeys(events: EventDoc[]): Promise<void> {
    const records = events.filter((event) => event.key.startsWith('[')).map((event) => ({ _id: event.key, projectId: event.projectId, seq: event.seq }));
    if (records.length === 0) return;
    try {
      await this.models.Request.collection.insertMany(records as never[], { ordered: false });
    } catch (error) {
      if (!onlyDuplicateKeys(error)) throw error;
    }
  }

  async findById(projectId: string, seq: number): Promise<EventDoc | null> {
    return this.models.Event.findById(EventLog.eventId(projectId, seq)).lean<EventDoc>().exec();
  }

  /**
   * Events with seq in (afterSeq, uptoSeq], in order; at most `limit`. Seqs are dense, so this reads
   * by primary key (`<projectId>:<seq>`) in growing parallel chunks and stops at the first missing
   * seq: every MongoDB-compatible server answers those from its `_id` index (FerretDB v1 answers
   * range and sort queries on other fields with a full scan).
   */
  async readAfter(projectId: string, afterSeq: number, limit: number, uptoSeq?: number): Promise<EventDoc[]> {
    const out: EventDoc[] = [];
    const last = uptoSeq ?? Number.POSITIVE_INFINITY;
    let next = afterSeq + 1;
    let chunk = uptoSeq === undefined ? 1 : POINT_READ_CHUNK;
    while (out.length < limit && next <= last) {
      const count = Math.min(chunk, limit - out.length, last - next + 1);
      const docs = await Promise.all(Array.from({ length: count }, (_, i) => this.findById(projectId, next + i)));
      for (const doc of docs) {
        if (doc === null) return out;
        out.push(doc);
      }
      next += count;
      chunk = Math.min(POINT_READ_CHUNK, chunk * 4);
    }
    return out;
  }
}

/** For an ordered insertMany that failed: how many documents went in before the first error. */
function insertedBefore(error: unknown): number {
  if (typeof error !== 'object' || error === null) return 0;
  const { writeErrors, insertedCount, result } = error as {
    writeErrors?: unknown;
    insertedCount?: unknown;
    result?: { insertedCount?: unknown };
  };
  const first = Array.isArray(writeErrors) ? writeErrors[0] : writeErrors;
  const index = (first as { index?: unknown } | undefined)?.index;
  if (typeof index === 'number') return index;
  if (typeof insertedCount === 'number') return insertedCount;
  if (typeof result?.insertedCount === 'number') return result.insertedCount;
  return 0;
}
