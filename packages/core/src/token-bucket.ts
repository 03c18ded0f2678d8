/** A token bucket: `ratePerSec` tokens per second, at most `burst` saved. Uses a monotonic clock. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    private readonly now: () => number = monotonicNow,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes one token; returns 0 when granted, else how many ms until one is available. */
  take(): number {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSec);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - this.tokens) / this.ratePerSec) * 1000));
  }
}

export interface KeyedTokenBucketsOptions {
  ratePerSec: number;
  burst: number;
  /** Most buckets kept; past it the least recently used is dropped. Default 100,000. */
  maxKeys?: number;
  now?: () => number;
}

/**
 * One token bucket per key (a subject, a client address), in bounded memory: past `maxKeys` the
 * least recently used bucket is dropped. A dropped bucket comes back full, which is what an idle
 * one is anyway after `burst / ratePerSec` seconds.
 */
export class KeyedTokenBuckets {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly maxKeys: number;

  constructor(private readonly options: KeyedTokenBucketsOptions) {
    this.maxKeys = options.maxKeys ?? 100_000;
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Takes one token from `key`'s bucket; returns 0 when granted, else how many ms until one is available. */
  take(key: string): number {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxKeys) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
      bucket = new TokenBucket(this.options.ratePerSec, this.options.burst, this.options.now);
    } else {
      this.buckets.delete(key); // re-inserted below: Map order is the recency order
    }
    this.buckets.set(key, bucket);
    return bucket.take();
  }
}

function monotonicNow(): number {
  return performance.now();
}
