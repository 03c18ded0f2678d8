import { Readable } from 'node:stream';
import { silentLogger } from '@app/core/testing';
import { afterEach, beforeEach, expect, inject, it } from 'vitest';
import { FileVideoStorage, type VideoJobStore, VideoRetention, type VideoJob } from '../src/index.js';
import { startHarness, type Harness } from './helpers/harness.js';

// Retention against the embedded database and a real storage directory.
const DAY = 86_400_000;
const IMAGE = `data:image/png;base64,${'A'.repeat(700_000)}`;
let harness: Harness;
let store: VideoJobStore;
let storage: FileVideoStorage;

beforeEach(async () => {
  harness = await startHarness(inject('mongodbUri'));
  ({ store } = await harness.pipeline());
  storage = new FileVideoStorage(harness.storageDir);
});
afterEach(async () => {
  await harness.close();
});

async function job(id: string, status: VideoJob['status'], endedDaysAgo: number, now: number): Promise<void> {
  const at = new Date(now - endedDaysAgo * DAY);
  await store.insert({
    id,
    workspaceId: 'w1',
    projectId: 'p1',
    provider: 'runway',
    request: { promptImage: IMAGE, model: 'gen4_turbo', ratio: '960:960', duration: 5 },
    status,
    nextPollAt: at,
    deadlineAt: at,
    leaseEpoch: 1,
    createdAt: at,
    updatedAt: at,
  });
  if (status === 'succeeded') await storage.put(id, Readable.from([Buffer.from(`video ${id}`)]));
  await store.models.Lease.create({ _id: `${id}:1`, jobId: id, epoch: 1, owner: 'n', expiresAt: at });
  for (const step of ['queued', 'create', 'final'] as const)
    await store.models.Step.create({ _id: `${id}:${step}`, jobId: id, step, epoch: 1, owner: 'n', at });
}

const stepsOf = (id: string): Promise<number> => store.models.Step.countDocuments({ jobId: id }).exec();

it('removes finished jobs (file, document with its image, leases, once-only steps) once the retention passed, and nothing else', async () => {
  const now = Date.now();
  await job('old-ok', 'succeeded', 31, now);
  await job('old-failed', 'failed', 40, now);
  await job('old-cancelled', 'cancelled', 30.5, now);
  await job('recent-ok', 'succeeded', 29, now);
  await job('old-running', 'running', 45, now); // not finished: never swept
  await store.requestCancel('old-cancelled');
  const retention = new VideoRetention({
    models: store.models,
    storage,
    retentionMs: 30 * DAY,
    batch: 2,
    logger: silentLogger(),
    now: () => now,
  });
  expect(await retention.sweep()).toBe(3);
  for (const id of ['old-ok', 'old-failed', 'old-cancelled']) {
    expect(await store.get(id), id).toBeUndefined();
    expect(await store.models.Lease.countDocuments({ jobId: id })).toBe(0);
    expect(await stepsOf(id), `${id} steps`).toBe(0);
  }
  expect(await stepsOf('old-running')).toBe(3);
  expect(await store.cancelRequested('old-cancelled')).toBe(false);
  expect(await storage.size('old-ok')).toBeUndefined();
  expect((await store.get('recent-ok'))?.status).toBe('succeeded');
  expect(await storage.size('recent-ok')).toBeGreaterThan(0);
  expect((await store.get('old-running'))?.status).toBe('running');
  // Idempotent, and safe from two nodes at once.
  const other = new VideoRetention({
    models: store.models,
    storage,
    retentionMs: 30 * DAY,
    logger: silentLogger(),
    now: () => now + 2 * DAY,
  });
  const [a, b] = await Promise.all([retention.sweep(), other.sweep()]);
  expect(a + b).toBe(1); // recent-ok is now past it too (for the second clock)
  expect(await store.get('recent-ok')).toBeUndefined();
  expect(await storage.size('recent-ok')).toBeUndefined();
  expect(await store.get('old-running')).toBeDefined();
});

it('a sweep started by start() runs at once and stop() waits for it', async () => {
  const now = Date.now();
  await job('gone', 'succeeded', 2, now);
  const retention = new VideoRetention({
    models: store.models,
    storage,
    retentionMs: DAY,
    intervalMs: 60_000,
    logger: silentLogger(),
  });
  retention.start();
  await retention.stop();
  expect(await store.get('gone')).toBeUndefined();
});
