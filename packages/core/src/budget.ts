import type { Connection } from 'mongoose';
import { Counter, type Registry } from 'prom-client';
import { ProtocolError } from '@app/protocol';
import { isDuplicateKey, toStorageError } from './db/errors.js';
import type { Logger } from './logger.js';

/**
 * A budget of paid work shared by every node: at most `points` uses per key in each window of `durationMs`
 * (fixed windows: a day from midnight UTC for daily budgets). `consume` takes one use or throws
 * RATE_LIMITED with `details.retryAfterMs` (until the window ends) and `details.budget` (its name).
 */
export interface Budget {
  readonly name: string;
  consume(key: string): Promise<void>;
}

export interface BudgetSpec {
  /** Names the budget in refusals and in the metric `budget_refusals_total{budget}`. */
  name: string;
  points: number;
  durationMs: number;
  /** The sentence of a refusal. */
  message: string;
}

/** Where budgets are counted: Redis when REDIS_URL is set (rate-limiter-flexible), else the database. */
export type BudgetStore =
  | { kind: 'redis'; client: unknown; prefix: string }
  | { kind: 'database'; connection: Connection }
  | { kind: 'memory' };

function refusal(spec: BudgetSpec, retryAfterMs: number): ProtocolError {
  return new ProtocolError('RATE_LIMITED', spec.message, {
    details: { retryAfterMs: Math.max(1, Math.ceil(retryAfterMs)), budget: spec.name },
  });
}

/**
 * The database store: one document per use, `_id` `<budget>:<key>:<window>:<slot>` for slot 0..points-1.
 * A use is an insert of the first free slot, and the database refuses a second insert of one `_id`, so
 * no two nodes ever take the same slot and a window never gives more than `points` uses. Inserts are
 * atomic on FerretDB v1 as on MongoDB; rate-limiter-flexible's own Mongo store is not usable there: its
 * `findOneAndUpdate` with `$inc` loses increments across connections on FerretDB v1 (100 uses stored as 13,
 * a 10-use limit let 60 of 60 through) and it needs a TTL index FerretDB v1 lacks (docs/security.md).
 */
class DatabaseBudget implements Budget {
  readonly name: string;
  #lastSweep = 0;

  constructor(
    private readonly spec: BudgetSpec,
    private readonly connection: Connection,
  ) {
    this.name = spec.name;
  }

  async consume(key: string, now = Date.now()): Promise<void> {
    const window = Math.floor(now / this.spec.durationMs);
    const windowEnd = (window + 1) * this.spec.durationMs;
    const prefix = `${this.spec.name}:${key}:${window}:`;
    const collection = this.connection.collection('budget_uses');
    let slot: number;
    try {
      slot = await collection.countDocuments({ budget: this.spec.name, key, window });
    } catch (error) {
      throw toStorageError(error);
    }
    for (; slot < this.spec.points; slot += 1) {
      try {
        await collection.insertOne({
          _id: `${prefix}${slot}` as never,
          budget: this.spec.name,
          key,
          window,
          expiresAt: new Date(windowEnd),
        });
        this.#sweep(now);
        return;
      } catch (error) {
        if (!isDuplicateKey(error)) throw toStorageError(error);
        // another node took this slot first: try the next
      }
    }
    throw refusal(this.spec, windowEnd - now);
  }

  #sweep(now: number): void {
    if (now - this.#lastSweep < 60_000) return;
    this.#lastSweep = now;
    this.connection
      .collection('budget_uses')
      .deleteMany({ expiresAt: { $lt: new Date(now) } })
      .catch(() => {
        // the next sweep tries again
      });
  }
}

/** Redis (rate-limiter-flexible's RateLimiterRedis: one atomic Lua script per use), for nodes that share REDIS_URL. */
class RedisBudget implements Budget {
  readonly name: string;
  #limiter: Promise<{ consume(key: string): Promise<unknown> }>;

  constructor(
    private readonly spec: BudgetSpec,
    client: unknown,
    prefix: string,
  ) {
    this.name = spec.name;
    this.#limiter = import('rate-limiter-flexible').then(
      ({ RateLimiterRedis }) =>
        new RateLimiterRedis({
          storeClient: client,
          keyPrefix: `${prefix}:budget:${spec.name}`,
          points: spec.points,
          duration: Math.ceil(spec.durationMs / 1000),
        }),
    );
  }

  async consume(key: string): Promise<void> {
    const limiter = await this.#limiter;
    try {
      await limiter.consume(key);
    } catch (error) {
      if (error instanceof Error)
        throw new ProtocolError('UNAVAILABLE', 'The budget store is unreachable; retry later');
      throw refusal(this.spec, (error as { msBeforeNext?: number }).msBeforeNext ?? this.spec.durationMs);
    }
  }
}

/** One node's count (tests, a single process without a database store). */
class MemoryBudget implements Budget {
  readonly name: string;
  readonly #uses = new Map<string, number>();

  constructor(private readonly spec: BudgetSpec) {
    this.name = spec.name;
  }

  async consume(key: string, now = Date.now()): Promise<void> {
    const window = Math.floor(now / this.spec.durationMs);
    const id = `${key}:${window}`;
    const used = this.#uses.get(id) ?? 0;
    if (used >= this.spec.points) throw refusal(this.spec, (window + 1) * this.spec.durationMs - now);
    this.#uses.set(id, used + 1);
  }
}

/** Counts refusals in `budget_refusals_total{budget}` of `registry`, when given. */
function counted(budget: Budget, registry: Registry | undefined): Budget {
  if (registry === undefined) return budget;
  const metric =
    (registry.getSingleMetric('budget_refusals_total') as Counter<'budget'> | undefined) ??
    new Counter({
      name: 'budget_refusals_total',
      help: 'Requests for paid work refused because a budget (per subject or per deployment) was spent',
      labelNames: ['budget'],
      registers: [registry],
    });
  return {
    name: budget.name,
    async consume(key) {
      try {
        await budget.consume(key);
      } catch (error) {
        if (error instanceof ProtocolError && error.code === 'RATE_LIMITED') metric.inc({ budget: budget.name });
        throw error;
      }
    },
  };
}

/** A budget in `store`; `points` of 0 turns it off (every use allowed). */
export function createBudget(
  spec: BudgetSpec,
  store: BudgetStore,
  options: { registry?: Registry | undefined; logger?: Logger } = {},
): Budget {
  if (spec.points <= 0) return { name: spec.name, consume: async () => {} };
  const budget =
    store.kind === 'redis'
      ? new RedisBudget(spec, store.client, store.prefix)
      : store.kind === 'database'
        ? new DatabaseBudget(spec, store.connection)
        : new MemoryBudget(spec);
  return counted(budget, options.registry);
}

export const DAY_MS = 86_400_000;
export const MINUTE_MS = 60_000;
