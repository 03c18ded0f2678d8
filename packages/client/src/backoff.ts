/** Bounds of the reconnect delay, in milliseconds. */
export interface BackoffOptions {
  minDelayMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A connection that stayed usable this long resets the attempt count. */
  stableAfterMs: number;
}

/** Attempts beyond this no longer change the cap (2^30 x base is past any sane maximum). */
const MAX_EXPONENT = 30;

/**
 * Exponential backoff with full jitter: a uniformly random delay between `minDelayMs` and
 * `min(maxDelayMs, baseDelayMs * 2^attempt)`. `random` is a number in [0, 1). Pure.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: number): number {
  const exponential = options.baseDelayMs * 2 ** Math.min(Math.max(attempt, 0), MAX_EXPONENT);
  const cap = Math.max(options.minDelayMs, Math.min(options.maxDelayMs, exponential));
  return options.minDelayMs + random * (cap - options.minDelayMs);
}

export interface BackoffDeps {
  /** Returns a number in [0, 1). Default `Math.random`. */
  random?: () => number;
  /** A monotonic clock in milliseconds. Default `performance.now`. */
  now?: () => number;
}

/** Counts reconnect attempts; timer-free, so the caller decides when to wait. */
export class Backoff {
  readonly #options: BackoffOptions;
  readonly #random: () => number;
  readonly #now: () => number;
  #attempt = 0;
  #openedAt: number | undefined;

  constructor(options: BackoffOptions, deps: BackoffDeps = {}) {
    this.#options = options;
    this.#random = deps.random ?? Math.random;
    this.#now = deps.now ?? (() => performance.now());
  }

  /** Attempts made since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /** A connection became usable; if it stays up `stableAfterMs`, the next delay starts from attempt 0 again. */
  opened(): void {
    this.#openedAt = this.#now();
  }

  /** The delay before the next attempt. Call once per attempt, after a connection closed or failed. */
  next(): number {
    if (this.#openedAt !== undefined && this.#now() - this.#openedAt >= this.#options.stableAfterMs) this.#attempt = 0;
    this.#openedAt = undefined;
    const delay = backoffDelay(this.#attempt, this.#options, this.#random());
    this.#attempt += 1;
    return delay;
  }
}
