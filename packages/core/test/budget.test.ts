import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ProtocolError } from '@app/protocol';
import { createBudget, type BudgetStore } from '../src/budget.js';
import type { Core } from '../src/core.js';
import { createTestCore, testDbName } from '../src/testing.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
// Two nodes: two cores (two database connections) on one database, and two Redis clients.
let a: Core;
let b: Core;
const redis: Redis[] = [];

beforeAll(async () => {
  const dbName = testDbName('budget');
  a = await createTestCore(inject('mongodbUri'), dbName);
  b = await createTestCore(inject('mongodbUri'), dbName);
  redis.push(new Redis(REDIS_URL, { maxRetriesPerRequest: 1 }), new Redis(REDIS_URL, { maxRetriesPerRequest: 1 }));
});
afterAll(async () => {
  await Promise.all(redis.map((client) => client.quit()));
  await b?.connection.close();
  await a?.close();
});

const spec = (name: string, points: number) => ({ name, points, durationMs: 86_400_000, message: 'Spent for today' });

/** 60 uses of one key at once, alternating between the two nodes' budgets: how many were let through, and the refusals. */
async function race(stores: [BudgetStore, BudgetStore], points: number, registry?: Registry) {
  const name = `b-${randomUUID().slice(0, 8)}`;
  const budgets = stores.map((store) => createBudget(spec(name, points), store, { registry }));
  const results = await Promise.allSettled(Array.from({ length: 60 }, (_, i) => budgets[i % 2]!.consume('subject-1')));
  const refusals = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
  return { name, allowed: results.length - refusals.length, refusals, budgets };
}

describe('budgets of paid work that hold across nodes', () => {
  it('the database store lets exactly `points` uses through, whatever the interleaving of two nodes', async () => {
    const { allowed, refusals, budgets } = await race(
      [
        { kind: 'database', connection: a.connection },
        { kind: 'database', connection: b.connection },
      ],
      10,
    );
    expect(allowed).toBe(10);
    for (const refusal of refusals) {
      expect(refusal).toBeInstanceOf(ProtocolError);
      expect(refusal).toMatchObject({ code: 'RATE_LIMITED', message: 'Spent for today' });
      const details = (refusal as ProtocolError).details as { retryAfterMs: number; budget: string };
      expect(details.retryAfterMs).toBeGreaterThan(0);
      expect(details.retryAfterMs).toBeLessThanOrEqual(86_400_000);
    }
    // Another subject has its own budget.
    await expect(budgets[1]!.consume('subject-2')).resolves.toBeUndefined();
  });

  it('the Redis store (rate-limiter-flexible) lets exactly `points` uses through from two clients', async () => {
    const prefix = `test-${randomUUID().slice(0, 8)}`;
    const { allowed, refusals } = await race(
      [
        { kind: 'redis', client: redis[0], prefix },
        { kind: 'redis', client: redis[1], prefix },
      ],
      10,
    );
    expect(allowed).toBe(10);
    expect(refusals.every((refusal) => (refusal as ProtocolError).code === 'RATE_LIMITED')).toBe(true);
  });

  it('counts refusals in budget_refusals_total{budget}, and a budget of 0 is off', async () => {
    const registry = new Registry();
    const { name } = await race(
      [
        { kind: 'database', connection: a.connection },
        { kind: 'database', connection: b.connection },
      ],
      5,
      registry,
    );
    expect(await registry.metrics()).toContain(`budget_refusals_total{budget="${name}"} 55`);
    const off = createBudget(spec('off', 0), { kind: 'database', connection: a.connection });
    for (let i = 0; i < 20; i += 1) await off.consume('k');
  });
});
