import type { EventDoc } from './db/models.js';

/** Most recent events kept per project. */
export const DEFAULT_TAIL_EVENTS = 1_024;
/** Most bytes (of the events' JSON) kept over all projects. */
export const DEFAULT_TAIL_BYTES = 64 * 1024 * 1024;

interface Tail {
  /** Contiguous events, `events[i].seq === first + i`. */
  events: EventDoc[];
  sizes: number[];
  bytes: number;
}

/**
 * The most recent stored events of each project, in memory (Centrifugo's "history"): a replay or a
 * gap repair reads them here instead of the log. Only events known to be stored go in (committed,
 * folded, or read from the log), and a stored event never changes, so the tail never has to be
 * invalidated: it can only be short. Bounded by events per project and by bytes over all projects
 * (the least recently used projects' tails are dropped first).
 */
export class EventTail {
  private readonly tails = new Map<string, Tail>();
  private bytes = 0;

  constructor(
    /** What one event costs, in bytes, against `maxBytes`. */
    private readonly sizeOf: (event: EventDoc) => number,
    private readonly maxEventsPerProject = DEFAULT_TAIL_EVENTS,
    private readonly maxBytes = DEFAULT_TAIL_BYTES,
  ) {}

  /** Events with seq in (afterSeq, uptoSeq] held here, from `afterSeq + 1` on without a hole, at most `limit`. */
  read(projectId: string, afterSeq: number, limit: number, uptoSeq = Number.POSITIVE_INFINITY): EventDoc[] {
    const tail = this.tails.get(projectId);
    if (tail === undefined || tail.events.length === 0) return [];
    const first = tail.events[0]!.seq;
    const start = afterSeq + 1 - first;
    if (start < 0 || start >= tail.events.length) return [];
    this.touch(projectId, tail);
    const end = Math.min(tail.events.length, start + limit, start + Math.max(0, uptoSeq - afterSeq));
    return tail.events.slice(start, end);
  }

  /**
   * Adds consecutive stored events. They extend the tail when they follow its last event, or replace
   * it when they are newer and leave a hole; events that precede the tail are kept when they end
   * right before it. Anything else is already there or too old to keep.
   */
  add(projectId: string, events: readonly EventDoc[]): void {
    if (events.length === 0 || this.maxEventsPerProject === 0) return;
    for (let i = 1; i < events.length; i += 1) if (events[i]!.seq !== events[i - 1]!.seq + 1) return; // not a run: keep nothing
    let tail = this.tails.get(projectId);
    if (tail === undefined) {
      tail = { events: [], sizes: [], bytes: 0 };
      this.tails.set(projectId, tail);
    }
    const from = events[0]!.seq;
    const to = events[events.length - 1]!.seq;
    const first = tail.events[0]?.seq;
    const last = tail.events[tail.events.length - 1]?.seq;
    if (first === undefined || last === undefined || from > last + 1) {
      this.clear(tail);
      this.append(tail, events);
    } else if (to > last) {
      this.append(tail, events.slice(last + 1 - from));
    } else if (to === first - 1 && tail.events.length < this.maxEventsPerProject) {
      const room = this.maxEventsPerProject - tail.events.length;
      const before = events.slice(Math.max(0, events.length - room));
      const sizes = before.map(this.sizeOf);
      tail.events.unshift(...before);
      tail.sizes.unshift(...sizes);
      const added = sizes.reduce((sum, size) => sum + size, 0);
      tail.bytes += added;
      this.bytes += added;
    }
    while (tail.events.length > this.maxEventsPerProject) this.dropFirst(tail);
    this.touch(projectId, tail);
    this.evict(projectId);
  }

  /** The size (as measured by `sizeOf`) of the largest event held of a project, or undefined when none is held. */
  largest(projectId: string): number | undefined {
    const tail = this.tails.get(projectId);
    if (tail === undefined || tail.sizes.length === 0) return undefined;
    let largest = 0;
    for (const size of tail.sizes) if (size > largest) largest = size;
    return largest;
  }

  /** Bytes held (for tests and metrics). */
  get size(): { projects: number; bytes: number } {
    return { projects: this.tails.size, bytes: this.bytes };
  }

  private append(tail: Tail, events: readonly EventDoc[]): void {
    for (const event of events) {
      const size = this.sizeOf(event);
      tail.events.push(event);
      tail.sizes.push(size);
      tail.bytes += size;
      this.bytes += size;
    }
  }

  private dropFirst(tail: Tail): void {
    tail.events.shift();
    const size = tail.sizes.shift() ?? 0;
    tail.bytes -= size;
    this.bytes -= size;
  }

  private clear(tail: Tail): void {
    this.bytes -= tail.bytes;
    tail.events = [];
    tail.sizes = [];
    tail.bytes = 0;
  }

  private touch(projectId: string, tail: Tail): void {
    this.tails.delete(projectId); // most recently used last
    this.tails.set(projectId, tail);
  }

  /** Drops the least recently used tails (then the oldest events of `keep`'s) until within the byte bound. */
  private evict(keep: string): void {
    for (const [projectId, tail] of this.tails) {
      if (this.bytes <= this.maxBytes) return;
      if (projectId === keep) continue;
      this.clear(tail);
      this.tails.delete(projectId);
    }
    const own = this.tails.get(keep);
    while (own !== undefined && this.bytes > this.maxBytes && own.events.length > 0) this.dropFirst(own);
  }
}
