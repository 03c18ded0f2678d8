export interface OutboxOptions<T> {
  /** Most items `push` accepts; `requeue` may go beyond it (those items were accepted before). */
  maxSize: number;
  /** How long an item may wait; after that it is removed and passed to `onExpire`. */
  maxAgeMs: number;
  onExpire: (item: T) => void;
  /** A monotonic clock in milliseconds. Default `performance.now`. */
  now?: () => number;
}

interface Slot<T> {
  item: T;
  expiresAt: number;
}

/**
 * The bounded queue of requests waiting for a connection, oldest first. Requests that were on the wire
 * when the connection dropped are put back at the front with `requeue`, so they are resent first,
 * with their original id. One timer expires old items; `clear` stops it.
 */
export class Outbox<T> {
  readonly #options: OutboxOptions<T>;
  readonly #now: () => number;
  #slots: Slot<T>[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerDueAt = Infinity;

  constructor(options: OutboxOptions<T>) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
  }

  get size(): number {
    return this.#slots.length;
  }

  /** Appends an item; returns false (and keeps nothing) when the queue is full. */
  push(item: T): boolean {
    if (this.#slots.length >= this.#options.maxSize) return false;
    this.#slots.push(this.#slot(item));
    this.#schedule();
    return true;
  }

  /** Puts items back at the front, keeping their order. */
  requeue(items: readonly T[]): void {
    if (items.length === 0) return;
    this.#slots = [...items.map((item) => this.#slot(item)), ...this.#slots];
    this.#schedule();
  }

  /** Removes and returns every item, oldest first, and stops the expiry timer. */
  drain(): T[] {
    const items = this.#slots.map((slot) => slot.item);
    this.#slots = [];
    this.#stopTimer();
    return items;
  }

  #slot(item: T): Slot<T> {
    return { item, expiresAt: this.#now() + this.#options.maxAgeMs };
  }

  #schedule(): void {
    let dueAt = Infinity;
    for (const slot of this.#slots) dueAt = Math.min(dueAt, slot.expiresAt);
    if (dueAt === Infinity) return this.#stopTimer();
    if (this.#timer !== undefined && this.#timerDueAt <= dueAt) return;
    this.#stopTimer();
    this.#timerDueAt = dueAt;
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, dueAt - this.#now()));
  }

  #expire(): void {
    this.#timer = undefined;
    this.#timerDueAt = Infinity;
    const now = this.#now() + 1; // timers may fire a fraction of a millisecond early
    const expired = this.#slots.filter((slot) => slot.expiresAt <= now);
    this.#slots = this.#slots.filter((slot) => slot.expiresAt > now);
    this.#schedule();
    for (const slot of expired) this.#options.onExpire(slot.item);
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDueAt = Infinity;
  }
}
