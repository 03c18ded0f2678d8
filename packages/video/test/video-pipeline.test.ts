import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '@app/core';
import { eventDataSchemas, ProtocolError, videoJobSchema } from '@app/protocol';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, expect, inject, it, vi } from 'vitest';
import { toStatusEventData, toVideoJobInfo, videoMetrics, type VideoJob } from '../src/index.js';
import { startHarness, type Harness } from './helpers/harness.js';

const SAMPLE = new URL('../../../apps/provider-sim/fixtures/sample.mp4', import.meta.url);

let harness: Harness;
beforeEach(async () => {
  harness = await startHarness(inject('mongodbUri'));
});
afterEach(async () => {
  await harness.close();
});

async function finalJob(get: () => Promise<VideoJob | undefined>, timeoutMs = 10_000): Promise<VideoJob> {
  return vi.waitFor(
    async () => {
      const job = await get();
      if (job === undefined || !['succeeded', 'failed', 'cancelled'].includes(job.status)) throw new Error('not final');
      return job;
    },
    { timeout: timeoutMs, interval: 20 },
  );
}

it('creates, polls and stores the video with its checksum; every status goes to the sink in order', async () => {
  const { pipeline, sink } = await harness.pipeline();
  pipeline.start();
  const submitted = await pipeline.submit({
    workspaceId: 'w1',
    projectId: 'p1',
    request: { prompt: 'a red fox at dawn' },
  });
  expect(submitted.status).toBe('submitting');
  const job = await finalJob(() => pipeline.getJob(submitted.id));

  expect(job.status).toBe('succeeded');
  expect(job.taskId).toMatch(/^[0-9a-f-]{36}$/);
  expect(job.videoUrl).toBe(`/videos/${job.id}.mp4`);
  const sample = await readFile(SAMPLE);
  const stored = await readFile(join(harness.storageDir, `${job.id}.mp4`));
  expect(stored.equals(sample)).toBe(true);
  expect(job.sha256).toBe(createHash('sha256').update(sample).digest('hex'));
  expect(job.bytes).toBe(sample.length);

  const updates = sink.of(job.id);
  expect(updates[0]).toEqual({ status: 'queued' });
  expect(updates.at(-1)).toEqual({ status: 'succeeded', progress: 1, videoUrl: `/videos/${job.id}.mp4` });
  expect(updates.some((u) => u.status === 'running')).toBe(true);
  const progress = updates.filter((u) => u.status === 'running').map((u) => u.progress ?? 0);
  expect(progress).toEqual([...progress].sort((a, b) => a - b));
  expect(JSON.stringify(updates)).not.toContain(harness.sim.url); // never the provider's URL

  const stats = await harness.stats();
  expect(stats.creates).toBe(1);
});

it('one active job per workspace: a second submit is a CONFLICT until the first ends', async () => {
  const { pipeline } = await harness.pipeline();
  const first = await pipeline.submit({
    workspaceId: 'w1',
    projectId: 'p1',
    request: { prompt: 'slow one [sim:slow]' },
  });
  const second = pipeline.submit({ workspaceId: 'w1', projectId: 'p1', request: { prompt: 'another' } });
  await expect(second).rejects.toBeInstanceOf(ProtocolError);
  await expect(second).rejects.toMatchObject({ code: 'CONFLICT' });
  await pipeline.cancel('w1');
  expect((await finalJob(() => pipeline.getJob(first.id))).status).toBe('cancelled');
  const third = await pipeline.submit({ workspaceId: 'w1', projectId: 'p1', request: { prompt: 'after the first' } });
  expect((await finalJob(() => pipeline.getJob(third.id))).status).toBe('succeeded');
});

it('a SAFETY failure ends the job as failed, not retryable, and is never resubmitted', async () => {
  const { pipeline, sink } = await harness.pipeline();
  const { id } = await pipeline.submit({
    workspaceId: 'w1',
    projectId: 'p1',
    request: { prompt: 'bad words [sim:safety]' },
  });
  const job = await finalJob(() => pipeline.getJob(id));
  expect(job.status).toBe('failed');
  expect(job.error).toMatchObject({ code: 'SAFETY.INPUT.TEXT', retryable: false });
  expect(job.error?.message).toMatch(/content rules/);
  expect(sink.of(id).at(-1)).toEqual({ status: 'failed', error: job.error });
  expect((await harness.stats()).creates).toBe(1);
});

it('429 on create is retried after Retry-After, then succeeds with one task', async () => {
  await harness.close();
  harness = await startHarness(inject('mongodbUri'), { retryAfterSec: 1 });
  const { pipeline } = await harness.pipeline({ random: () => 0 });
  const { id } = await pipeline.submit({
    workspaceId: 'w1',
    projectId: 'p1',
    request: { prompt: 'limits [sim:429x2]' },
  });
  const job = await finalJob(() => pipeline.getJob(id));
  expect(job.status).toBe('succeeded');
  const stats = await harness.stats();
  expect(stats.createCalls.map((c) => c.status)).toEqual([429, 429, 200]);
  expect(stats.creates).toBe(1);
  const [a, b, c] = stats.createCalls.map((call) => call.at);
  expect(b! - a!).toBeGreaterThanOrEqual(1_000 - 5); // Retry-After: 1 honoured
  expect(c! - b!).toBeGreaterThanOrEqual(1_000 - 5);
});

it('5xx on create is retried with exponential backoff, then succeeds with one task', async () => {
  const { pipeline } = await harness.pipeline({ random: () => 0, pollMs: 60 });
  const { id } = await pipeline.submit({ workspaceId: 'w1', projectId: 'p1', request: { prompt: 'busy [sim:500x2]' } });
  const job = await finalJob(() => pipeline.getJob(id));
  expect(job.status).toBe('succeeded');
  const stats = await harness.stats();
  expect(stats.createCalls.map((c) => c.status)).toEqual([502, 502, 200]);
  const [a, b, c] = stats.createCalls.map((call) => call.at);
  expect(b! - a!).toBeGreaterThanOrEqual(60 - 5); // base
  expect(c! - b!).toBeGreaterThanOrEqual(120 - 5); // doubled
});

it('5xx on every attempt fails the job after the attempts, retryable', async () => {
  const { pipeline } = await harness.pipeline({ createAttempts: 3 });
  const { id } = await pipeline.submit({ workspaceId: 'w1', projectId: 'p1', request: { prompt: 'down [sim:500x9]' } });
  const job = await finalJob(() => pipeline.getJob(id));
  expect(job.status).toBe('failed');
  expect(job.error).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', retryable: true });
  expect((await harness.stats()).createCalls).toHaveLength(3);
});

it('a hung create times out into failed with a clear error and is not resubmitted', async () => {
  const { pipeline } = await harness.pipeline({ providerTimeoutMs: 300 });
  pipeline.start();
  const { id } = await pipeline.submit({ workspaceId: 'w1', projectId: 'p1', request: { prompt: 'stuck [sim:hang]' } });
  const job = await finalJob(() => pipeline.getJob(id));
  expect(job.status).toBe('failed');
  expect(job.error).toMatchObject({ code: 'PROVIDER_TIMEOUT', retryable: false });
  expect(job.error?.message).toMatch(/not resubmitted/);
  const stats = await harness.stats();
  expect(stats.hungRequests).toBe(1);
  expect(stats.createCalls).toHaveLength(1);
});

it('a hung poll is retried until the job deadline, then the job fails with TIMEOUT; a task whose state cannot be read is not deleted', async () => {
  const { pipeline } = await harness.pipeline({ providerTimeoutMs: 100, jobTimeoutMs: 1_500 });
  const { id } = await pipeline.submit({
    workspaceId: 'w1',
    projectId: 'p1',
    request: { prompt: 'slow reads [sim:hang-poll]' },
  });
  const job = await finalJob(() => pipeline.getJob(id));
  expect(job.status).toBe('failed');
  expect(job.error).toMatchObject({ code: 'TIMEOUT', retryable: true });
  const stats = await harness.stats();
  expect(stats.hungRequests).toBeGreaterThanOrEqual(2);
  expect(stats.deletes).toBe(0); // it may have finished: a DELETE would delete its video
  expect(stats.creates).toBe(1);
});

it('cancel reaches the provider (DELETE) and ends the job cancelled', async () => {
  const { pipeline, sink } = await harness.pipeline();
  const { id } = await pipeline.submit({ workspaceId: 'w1', projectId: 'p1', request: { prompt: 'long [sim:slow]' } });
  await vi.waitFor(async () => expect((await pipeline.getJob(id))?.taskId).toBeDefined(), { interval: 20 });
  await pipeline.cancel('w1');
  const job = await finalJob(() => pipeline.getJob(id));
  expect(job.status).toBe('cancelled');
  expect(sink.of(id).at(-1)).toEqual({ status: 'cancelled' });
  const stats = await harness.stats();
  expect(stats.deletes).toBe(1);
  expect(stats.tasks.find((task) => task.id === job.taskId)?.status).toBe('CANCELLED');
  await expect(pipeline.cancel('w1')).rejects.toMatchObject({ code: 'NOT_FOUND' });
});

it('THROTTLED is reported and the job still finishes', async () => {
  const { pipeline, sink } = await harness.pipeline();
  const { id } = await pipeline.submit({
    workspaceId: 'w1',
    projectId: 'p1',
    request: { prompt: 'busy org [sim:throttled]' },
  });
  const job = await finalJob(() => pipeline.getJob(id));
  expect(job.status).toBe('succeeded');
  const statuses = sink.of(id).map((u) => u.status);
  expect(statuses).toContain('throttled');
  // Polls back off while THROTTLED, so a short RUNNING phase may pass between two polls: only the order is fixed.
  const order = ['queued', 'throttled', 'running', 'succeeded'];
  const ranks = statuses.map((status) => order.indexOf(status));
  expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
  expect(statuses.at(-1)).toBe('succeeded');
});

it('a job left in "submitting" by a node that died mid-create (its create step stored) is failed, never resubmitted', async () => {
  const { pipeline, store } = await harness.pipeline();
  const now = new Date();
  await store.steps.insert('stuck-1', 'queued', { epoch: 0 });
  await store.steps.insert('stuck-1', 'create', { epoch: 1 });
  await store.insert({
    id: 'stuck-1',
    workspaceId: 'w9',
    projectId: 'p1',
    provider: 'runway',
    request: { prompt: 'was being created' },
    status: 'submitting',
    nextPollAt: now,
    deadlineAt: new Date(now.getTime() + 60_000),
    leaseEpoch: 0,
    createdAt: now,
    updatedAt: now,
  });
  pipeline.start();
  const job = await finalJob(() => pipeline.getJob('stuck-1'));
  expect(job.status).toBe('failed');
  expect(job.error).toMatchObject({ code: 'SUBMIT_UNKNOWN', retryable: false });
  expect((await harness.stats()).createCalls).toHaveLength(0);
});

it('a job left in "submitting" before its create step was stored never reached the provider: it is created, once', async () => {
  const { pipeline, store } = await harness.pipeline();
  const now = new Date();
  await store.steps.insert('stuck-2', 'queued', { epoch: 0 });
  await store.insert({
    id: 'stuck-2',
    workspaceId: 'w9',
    projectId: 'p1',
    provider: 'runway',
    request: { prompt: 'was about to be created' },
    status: 'submitting',
    nextPollAt: now,
    deadlineAt: new Date(now.getTime() + 60_000),
    leaseEpoch: 0,
    createdAt: now,
    updatedAt: now,
  });
  pipeline.start();
  const job = await finalJob(() => pipeline.getJob('stuck-2'));
  expect(job.status).toBe('succeeded');
  expect((await harness.stats()).creates).toBe(1);
});

it('another node takes over a job after the first one dies (lease expires) and finishes it with the same task', async () => {
  const a = await harness.pipeline({ leaseMs: 400 });
  const b = await harness.pipeline({ leaseMs: 400 });
  a.pipeline.start();
  const { id } = await a.pipeline.submit({
    workspaceId: 'w1',
    projectId: 'p1',
    request: { prompt: 'long [sim:slow]' },
  });
  await vi.waitFor(async () => expect((await a.pipeline.getJob(id))?.status).toBe('running'), {
    timeout: 5_000,
    interval: 20,
  });
  b.pipeline.start();
  expect(b.pipeline.heldJobIds()).toEqual([]);
  await a.pipeline.stop({ release: false }); // dies: its lease is left to expire
  await vi.waitFor(() => expect(b.pipeline.heldJobIds()).toEqual([id]), { timeout: 5_000, interval: 20 });
  const job = await finalJob(() => b.pipeline.getJob(id), 15_000);
  expect(job.status).toBe('succeeded');
  expect(b.sink.of(id).at(-1)?.status).toBe('succeeded');
  expect((await harness.stats()).creates).toBe(1);
});

it('counts jobs, provider calls and poll lag in the metrics; logs carry neither the key nor (at info) the prompt', async () => {
  const registry = new Registry();
  let logs = '';
  const logger = createLogger({
    level: 'info',
    stream: new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs += chunk.toString();
        done();
      },
    }),
  });
  const { pipeline, sink } = await harness.pipeline({ metrics: videoMetrics(registry), logger });
  const { id } = await pipeline.submit({
    workspaceId: 'w1',
    projectId: 'p1',
    request: { prompt: 'secret plot twist' },
  });
  const job = await finalJob(() => pipeline.getJob(id));
  expect(job.status).toBe('succeeded');
  const text = await registry.metrics();
  expect(text).toMatch(/video_jobs_total\{status="queued"\} 1/);
  expect(text).toMatch(/video_jobs_total\{status="succeeded"\} 1/);
  expect(text).toMatch(/video_provider_request_seconds_count\{operation="create"\} 1/);
  expect(text).toMatch(/video_provider_request_seconds_count\{operation="download"\} 1/);
  expect(text).toMatch(/video_poll_lag_seconds_count [1-9]/);
  expect(logs).toContain(`video job ${id} succeeded`);
  expect(logs).not.toContain('secret plot twist');
  expect(logs).not.toContain('key_test');

  // What the server will send: the ack's job and each event's data parse with the protocol's schemas.
  expect(videoJobSchema.safeParse(toVideoJobInfo(job)).success).toBe(true);
  for (const update of sink.of(id)) {
    expect(eventDataSchemas['video.status_update'].safeParse(toStatusEventData(job, update)).success).toBe(true);
  }
});

it('two running nodes: each job is polled by exactly one of them, one provider task per job', async () => {
  const a = await harness.pipeline();
  const b = await harness.pipeline();
  a.pipeline.start();
  b.pipeline.start();
  const jobs = await Promise.all(
    [0, 1, 2, 3, 4, 5].map((i) =>
      (i % 2 === 0 ? a : b).pipeline.submit({ workspaceId: `w${i}`, projectId: 'p1', request: { prompt: `job ${i}` } }),
    ),
  );
  await vi.waitFor(
    async () => {
      const held = [...a.pipeline.heldJobIds(), ...b.pipeline.heldJobIds()];
      expect(new Set(held).size).toBe(held.length); // never both
      for (const job of jobs) {
        const stored = await a.pipeline.getJob(job.id);
        expect(stored?.status, `job ${job.id}: ${JSON.stringify(stored?.error)}`).toBe('succeeded');
      }
    },
    { timeout: 15_000, interval: 30 },
  );
  for (const job of jobs) {
    const fromA = a.sink.of(job.id).length;
    const fromB = b.sink.of(job.id).length;
    expect(Math.min(fromA, fromB)).toBe(0); // only the node holding the job reported it
    expect(Math.max(fromA, fromB)).toBeGreaterThanOrEqual(3);
  }
  expect((await harness.stats()).creates).toBe(jobs.length);
});

it('a graceful stop gives the leases up: another node continues at once, long before the lease would expire', async () => {
  const a = await harness.pipeline({ leaseMs: 60_000 });
  const b = await harness.pipeline({ leaseMs: 60_000, pollMs: 50 });
  const { id } = await a.pipeline.submit({
    workspaceId: 'w1',
    projectId: 'p1',
    request: { prompt: 'long [sim:slow]' },
  });
  await vi.waitFor(async () => expect((await a.pipeline.getJob(id))?.taskId).toBeDefined(), { interval: 20 });
  await a.pipeline.stop(); // release
  b.pipeline.start();
  const job = await finalJob(() => b.pipeline.getJob(id), 15_000);
  expect(job.status).toBe('succeeded');
  expect((await harness.stats()).creates).toBe(1);
});
