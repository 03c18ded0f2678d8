import type { EventDoc } from './db/models.js';

/**
 * Seqs per block. A project's log is read in aligned blocks (seqs `index * BLOCK_EVENTS + 1` ..
 * `(index + 1) * BLOCK_EVENTS`), so readers at different places of one range ask for the same
 * blocks and share their reads.
 */
export const BLOCK_EVENTS = 64;
/** Bytes one query's reply aims at, well under the 16 MB a reply may hold: a block of large events is split. */
const QUERY_BYTES = 4 * 1024 * 1024;
/** What one event is assumed to cost when nothing is known of its project's events: the most it can be. */
const DEFAULT_EVENT_BYTES = 256 * 1024;
/** Projects whose event size is remembered (the most recently read). */
const MAX_SIZE_HINTS = 4_096;

/** Reads the stored events with these `_id`s (any order; missing ones left out) with one query. */
export type QueryEvents = (ids: string[]) => Promise<EventDoc[]>;

interface RangeRead {
  /** The clock when the read was issued. */
  issuedAt: number;
  events: Promise<ReadonlyMap<number, EventDoc>>;
}

/**
 * Reads of consecutive events by `_id` lists (`{_id: {$in: [...]}}`, one query per block, which
 * FerretDB answers from its `_id` index with scripts/ferretdb-patches/0002 and MongoDB always does),
 * shared by concurrent readers of the same seqs.
 *
 * A shared read answers for what it found, never for what it did not: an event stored after a read
 * was issued is missing from it, so a caller that began after that read was issued trusts its
 * misses only when the read was issued after the caller began (`began`, from `begin()`); otherwise it
 * reads again.
 */
export class EventRanges {
  private clock = 0;
  private readonly inFlight = new Map<string, RangeRead>();
  /** Per project, about the largest event (bytes of its stored form) of the last read. */
  private readonly sizeHints = new Map<string, number>();

  constructor(
    private readonly query: QueryEvents,
    /** Measures an event read (its stored size), for sizing the queries of its project. */
    private readonly sizeOf: (event: EventDoc) => number,
    /** Receives every run of consecutive events read (into the tail), before the read stops being shared. */
    private readonly onRead: (events: EventDoc[]) => void = () => {},
    /** What is known of a project's events' size before any was read here (the tail's), in `sizeOf`'s measure. */
    private readonly knownSize: (projectId: string) => number | undefined = () => undefined,
  ) {}

  /** Marks when a caller began: reads issued after this may answer its misses. */
  begin(): number {
    this.clock += 1;
    return this.clock;
  }

  /**
   * The stored events among seqs `first..last` of a project (at most one block), by seq: from a read
   * of them in flight, or a new one. Of the seqs the caller needs (`needFirst..needLast`, within
   * them), a missing one was not stored when a read issued after `began` ran.
   */
  async read(
    projectId: string,
    first: number,
    last: number,
    began: number,
    needFirst = first,
    needLast = last,
  ): Promise<ReadonlyMap<number, EventDoc>> {
    const key = `${projectId}:${first}-${last}`;
    const shared = this.inFlight.get(key);
    if (shared !== undefined) {
      const events = await shared.events;
      if (shared.issuedAt > began || hasAll(events, needFirst, needLast)) return events;
    }
    // Join a read issued after `began` if one has started meanwhile; else issue one.
    const again = this.inFlight.get(key);
    if (again !== undefined && again.issuedAt > began) return again.events;
    return this.issue(key, projectId, first, last).events;
  }

  /** Whether the size of a project's events is known (else a block is read as if they were all of the largest size). */
  knowsSize(projectId: string): boolean {
    return this.sizeHints.has(projectId) || this.knownSize(projectId) !== undefined;
  }

  /** The block of seqs holding `seq`: its first and last seq. */
  static blockOf(seq: number): { first: number; last: number } {
    const index = Math.floor((seq - 1) / BLOCK_EVENTS);
    return { first: index * BLOCK_EVENTS + 1, last: (index + 1) * BLOCK_EVENTS };
  }

  private issue(key: string, projectId: string, first: number, last: number): RangeRead {
    this.clock += 1;
    const read: RangeRead = { issuedAt: this.clock, events: this.fetch(projectId, first, last) };
    this.inFlight.set(key, read);
    const done = (): void => {
      if (this.inFlight.get(key) === read) this.inFlight.delete(key);
    };
    read.events.then(done, done);
    return read;
  }

  private async fetch(projectId: string, first: number, last: number): Promise<ReadonlyMap<number, EventDoc>> {
    const size = this.sizeHints.get(projectId) ?? this.knownSize(projectId) ?? DEFAULT_EVENT_BYTES;
    const perQuery = Math.max(1, Math.floor(QUERY_BYTES / size));
    const queries: Promise<EventDoc[]>[] = [];
    for (let from = first; from <= last; from += perQuery) {
      const ids: string[] = [];
      for (let seq = from; seq <= Math.min(last, from + perQuery - 1); seq += 1) ids.push(`${projectId}:${seq}`);
      queries.push(this.query(ids));
    }
    const events = new Map<number, EventDoc>();
    let largest = 0;
    for (const docs of await Promise.all(queries)) {
      for (const doc of docs) {
        if (doc.projectId !== projectId || doc.seq < first || doc.seq > last) continue;
        events.set(doc.seq, doc);
        largest = Math.max(largest, this.sizeOf(doc));
      }
    }
    if (events.size > 0) this.hint(projectId, largest);
    this.reportRuns(first, last, events);
    return events;
  }

  private hint(projectId: string, bytes: number): void {
    this.sizeHints.delete(projectId);
    this.sizeHints.set(projectId, bytes);
    if (this.sizeHints.size > MAX_SIZE_HINTS) this.sizeHints.delete(this.sizeHints.keys().next().value!);
  }

  private reportRuns(first: number, last: number, events: ReadonlyMap<number, EventDoc>): void {
    let run: EventDoc[] = [];
    for (let seq = first; seq <= last + 1; seq += 1) {
      const event = events.get(seq);
      if (event !== undefined) {
        run.push(event);
        continue;
      }
      if (run.length > 0) this.onRead(run);
      run = [];
    }
  }
}

function hasAll(events: ReadonlyMap<number, EventDoc>, first: number, last: number): boolean {
  for (let seq = first; seq <= last; seq += 1) if (!events.has(seq)) return false;
  return true;
}
