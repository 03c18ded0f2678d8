import { connectDatabase } from '@app/core';
import { testDbName } from '@app/core/testing';
import type { Connection } from 'mongoose';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { VideoJobStore } from '../src/index.js';

let connections: Connection[] = [];
let stores: VideoJobStore[] = [];

beforeAll(async () => {
  const dbName = testDbName('lease');
  connections = await Promise.all(
    [0, 1, 2].map(() => connectDatabase({ uri: inject('mongodbUri'), dbName, timeoutMs: 5_000 })),
  );
  stores = await Promise.all(connections.map((connection, i) => VideoJobStore.create(connection, `node-${i}`)));
});
afterAll(async () => {
  await connections[0]?.dropDatabase();
  await Promise.all(connections.map((connection) => connection.close()));
});

it('three nodes on three connections race for each job: exactly one wins every round, and again after expiry', async () => {
  for (let round = 0; round < 30; round += 1) {
    const job = { id: `job-${round}`, leaseEpoch: 0 };
    const first = await Promise.all(stores.map((store) => store.claim(job, 5_000)));
    expect(first.filter((lease) => lease !== undefined)).toHaveLength(1);
    // While the lease holds, nobody else gets it.
    const during = await Promise.all(stores.map((store) => store.claim(job, 5_000)));
    expect(during.filter((lease) => lease !== undefined)).toHaveLength(0);
  }
  for (let round = 0; round < 5; round += 1) {
    const job = { id: `short-${round}`, leaseEpoch: 0 };
    const first = await Promise.all(stores.map((store) => store.claim(job, 100)));
    expect(first.filter((lease) => lease !== undefined)).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 110)); // the lease's own expiry: the thing under test
    const after = await Promise.all(stores.map((store) => store.claim(job, 5_000)));
    const winners = after.filter((lease) => lease !== undefined);
    expect(winners).toHaveLength(1);
    expect(winners[0]!.epoch).toBe(2);
  }
});

it('a renewed lease is not taken; a released one is taken at once', async () => {
  const [a, b] = stores as [VideoJobStore, VideoJobStore];
  const job = { id: 'job-renew', leaseEpoch: 0 };
  const lease = (await a.claim(job, 5_000))!;
  expect(lease).toBeDefined();
  expect(await a.renew(lease, 5_000)).toBe(true);
  expect(await b.claim(job, 5_000)).toBeUndefined();
  await a.release(lease);
  const taken = await b.claim(job, 5_000);
  expect(taken?.epoch).toBe(2);
  expect(await a.renew(lease, 5_000)).toBe(false);
});

it('a renewal fails once the lease document is gone (the job ended), and an ended job never reuses an epoch', async () => {
  const [a, b] = stores as [VideoJobStore, VideoJobStore];
  const lease = (await a.claim({ id: 'job-gone', leaseEpoch: 0 }, 5_000))!;
  await b.dropLeases('job-gone');
  expect(await a.renew(lease, 5_000)).toBe(false);
  expect(lease.validUntil).toBe(0); // the holder stops at once
  const next = await b.claim({ id: 'job-gone', leaseEpoch: lease.epoch }, 5_000);
  expect(next?.epoch).toBe(lease.epoch + 1);
});
