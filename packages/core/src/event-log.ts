import type { EventDoc, Models, StoredEventDoc } from './db/models.js';
import { onlyDuplicateKeys } from './db/errors.js';
import { eventReadConcernOf, type EventReadConcern } from './db/read-concern.js';
import { EventRanges } from './event-ranges.js';
import { EventTail } from './event-tail.js';

/** Most blocks of one range read in flight at once. */
const READ_AHEAD_BLOCKS = 4;

/**
 * Append-only, per-project event log with seq as `_id` suffix: a seq can never be stored twice.
 * Reads are served from the recent events kept in memory (`tail`) where they can be; the rest is read
 * in blocks of consecutive seqs, one `_id` list query per block, shared by concurrent readers
 * (`EventRanges`, docs/decisions/0010-event-range-reads.md).
 */
export class EventLog {
  private readonly ranges: EventRanges;
  /** The read concern of event reads (see db/read-concern.ts): given, or known from the driver's view of the deployment. */
  private readonly readConcern: 'majority' | 'default' | undefined;

  constructor(
    private readonly models: Models,
    readonly tail: EventTail = new EventTail(eventSize),
    options: { readConcern?: 'majority' | 'default' } = {},
  ) {
    this.readConcern = options.readConcern;
    this.ranges = new EventRanges(
      (ids) => this.queryEvents(ids),
      storedSize,
      (events) => this.remember(events),
      (projectId) => {
        const held = this.tail.largest(projectId);
        return held === undefined ? undefined : (held - 256) / 2 + 256; // the tail measures memory (see eventSize)
      },
    );
  }

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
      await this.models.Event.collection.insertMany(events.map(toStoredEvent) as never[], {
        ordered: true,
        writeConcern: { w: 'majority', j: true },
      });
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
    const query = this.models.Event.findOne({ key });
    const level = this.eventReadConcern();
    if (level !== undefined) query.readConcern(level);
    return fromStoredEvent(await query.lean<StoredEventDoc>().exec());
  }

  /** Records where the keys of these events were applied; repeats are harmless. */
  async indexKeys(events: EventDoc[]): Promise<void> {
    const records = events
      .filter((event) => event.key.startsWith('['))
      .map((event) => ({ _id: event.key, projectId: event.projectId, seq: event.seq }));
    if (records.length === 0) return;
    try {
      await this.models.Request.collection.insertMany(records as never[], { ordered: false });
    } catch (error) {
      if (!onlyDuplicateKeys(error)) throw error;
    }
  }

  /** Keeps stored events (consecutive, of one project) in the tail. */
  remember(events: readonly EventDoc[]): void {
    if (events.length > 0) this.tail.add(events[0]!.projectId, events);
  }

  async findById(projectId: string, seq: number): Promise<EventDoc | null> {
    const held = this.tail.read(projectId, seq - 1, 1)[0];
    if (held !== undefined) return held;
    return (await this.ranges.read(projectId, seq, seq, this.ranges.begin())).get(seq) ?? null;
  }

  /**
   * Events with seq in (afterSeq, uptoSeq], in order; at most `limit`. What the tail holds is taken
   * from it; the rest is read in aligned blocks of seqs (several in flight when the end is known, one
   * at a time past the head), stopping at the first missing seq, and kept in the tail.
   */
  async readAfter(projectId: string, afterSeq: number, limit: number, uptoSeq?: number): Promise<EventDoc[]> {
    const began = this.ranges.begin();
    const last = Math.min(uptoSeq ?? Number.POSITIVE_INFINITY, afterSeq + limit);
    const out: EventDoc[] = this.tail.read(projectId, afterSeq, limit, last);
    let next = afterSeq + out.length + 1;
    // One block first past the head (usually nothing is there), or while the size of the project's events is not known.
    let ahead = uptoSeq === undefined || !this.ranges.knowsSize(projectId) ? 1 : READ_AHEAD_BLOCKS;
    while (next <= last) {
      // What the tail holds from here (a long replay reaches it) is not read again.
      const held = this.tail.read(projectId, next - 1, last - next + 1, last);
      for (const event of held) out.push(event);
      next += held.length;
      if (next > last) break;
      const blocks: { first: number; last: number }[] = [];
      for (let first = next; blocks.length < ahead && first <= last;) {
        const block = EventRanges.blockOf(first);
        blocks.push({ first, last: Math.min(block.last, last) });
        first = block.last + 1;
      }
      const reads = await Promise.all(
        blocks.map((block) => {
          const whole = EventRanges.blockOf(block.first);
          return this.ranges.read(projectId, whole.first, whole.last, began, block.first, block.last);
        }),
      );
      for (const [i, events] of reads.entries()) {
        for (let seq = blocks[i]!.first; seq <= blocks[i]!.last; seq += 1) {
          const event = events.get(seq);
          if (event === undefined) return out;
          out.push(event);
        }
      }
      next = out.length + afterSeq + 1;
      ahead = READ_AHEAD_BLOCKS;
    }
    return out;
  }

  /** Reads events by `_id`, with one query (answered from the `_id` index, see `EventRanges`). */
  private async queryEvents(ids: string[]): Promise<EventDoc[]> {
    const query = this.models.Event.find({ _id: { $in: ids } }).batchSize(ids.length + 1);
    const level = this.eventReadConcern();
    if (level !== undefined) query.readConcern(level);
    const docs = await query.lean<StoredEventDoc[]>().exec();
    return docs.map((doc) => fromStoredEvent(doc)!);
  }

  private eventReadConcern(): EventReadConcern {
    if (this.readConcern !== undefined) return this.readConcern === 'majority' ? 'majority' : undefined;
    const known = eventReadConcernOf(this.models.Event.db);
    return known === 'unknown' ? undefined : known;
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

/** The length of each event's data as JSON text, known from storing or reading it (the tail's size measure). */
const storedDataLength = new WeakMap<EventDoc, number>();

/** About the bytes of an event's stored form (its data's JSON length, plus the fixed fields). */
export function storedSize(event: EventDoc): number {
  return (eventSize(event) - 256) / 2 + 256;
}

/** About what an event costs in memory: its data's JSON length (measured once, when stored or read), plus the fixed fields. */
export function eventSize(event: EventDoc): number {
  let length = storedDataLength.get(event);
  if (length === undefined) {
    length = JSON.stringify(event.data).length;
    storedDataLength.set(event, length);
  }
  return 256 + length * 2;
}

/**
 * The stored form of an event: its `data` and `origin` (client values) as JSON text, so no backend
 * can refuse or alter them (nested arrays, key names, lone surrogates;
 * docs/decisions/0004-client-values-stored-as-json-text.md).
 */
export function toStoredEvent(event: EventDoc): StoredEventDoc {
  const { data, origin, ...rest } = event;
  const text = JSON.stringify(data);
  storedDataLength.set(event, text.length);
  const stored: StoredEventDoc = { ...rest, data: text };
  if (origin !== undefined) stored.origin = JSON.stringify(origin);
  return stored;
}

/** An event as the code uses it, from either stored form (JSON text, or the plain objects of earlier versions). */
export function fromStoredEvent(doc: StoredEventDoc | null): EventDoc | null {
  if (doc === null) return null;
  const { data, origin, ...rest } = doc;
  const event: EventDoc = { ...rest, data: typeof data === 'string' ? (JSON.parse(data) as EventDoc['data']) : data };
  if (typeof data === 'string') storedDataLength.set(event, data.length);
  if (origin !== undefined && origin !== null)
    event.origin = typeof origin === 'string' ? (JSON.parse(origin) as EventDoc['origin']) : origin;
  return event;
}
