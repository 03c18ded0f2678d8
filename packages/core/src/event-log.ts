import type { EventDoc, Models, StoredEventDoc } from './db/models.js';
import { onlyDuplicateKeys } from './db/errors.js';

/** Most primary-key reads in flight for one range read. */
const READ_CHUNK = 64;

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
      await this.models.Event.collection.insertMany(events.map(toStoredEvent) as never[], { ordered: true, writeConcern: { w: 'majority', j: true } });
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

  /** The slow path: search the log itself for a key (after a unique-key refusal the index did not explain). */
  async scanForKey(key: string): Promise<EventDoc | null> {
    return fromStoredEvent(await this.models.Event.findOne({ key }).lean<StoredEventDoc>().exec());
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
    return fromStoredEvent(await this.models.Event.findById(EventLog.eventId(projectId, seq)).lean<StoredEventDoc>().exec());
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
    let chunk = uptoSeq === undefined ? 1 : READ_CHUNK;
    while (out.length < limit && next <= last) {
      const count = Math.min(chunk, limit - out.length, last - next + 1);
      const docs = await Promise.all(Array.from({ length: count }, (_, i) => this.findById(projectId, next + i)));
      for (const doc of docs) {
        if (doc === null) return out;
        out.push(doc);
      }
      next += count;
      chunk = Math.min(READ_CHUNK, chunk * 4);
    }
    return out;
  }

  /** Ids of projects that have events (used by the start-up repair). */
  async projectIds(): Promise<string[]> {
    return (await this.models.Event.distinct('projectId').exec()) as string[];
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

/**
 * The stored form of an event: its `data` and `origin` (client values) as JSON text, so no backend
 * can refuse or alter them (nested arrays, key names, lone surrogates; ADR 0004).
 */
export function toStoredEvent(event: EventDoc): StoredEventDoc {
  const { data, origin, ...rest } = event;
  const stored: StoredEventDoc = { ...rest, data: JSON.stringify(data) };
  if (origin !== undefined) stored.origin = JSON.stringify(origin);
  return stored;
}

/** An event as the code uses it, from either stored form (JSON text, or the plain objects of earlier versions). */
export function fromStoredEvent(doc: StoredEventDoc | null): EventDoc | null {
  if (doc === null) return null;
  const { data, origin, ...rest } = doc;
  const event: EventDoc = { ...rest, data: typeof data === 'string' ? (JSON.parse(data) as EventDoc['data']) : data };
  if (origin !== undefined && origin !== null) event.origin = typeof origin === 'string' ? (JSON.parse(origin) as EventDoc['origin']) : origin;
  return event;
}
