import { silentLogger } from '@app/core/testing';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, expect, inject, it, vi } from 'vitest';
import {
  CostRecordingProvider,
  RunwayProvider,
  VideoJobCosts,
  runwayBody,
  toVideoJobInfo,
  videoMetrics,
  type VideoJob,
  type VideoJobStore,
} from '../src/index.js';
import { TEST_KEY, startHarness, type Harness } from './helpers/harness.js';

// Runway's rules as the provider adapter applies them, against the simulator over HTTP and the
// embedded database: which create errors are retried, what users read of a moderation failure, and
// what a job costs.
let harness: Harness;
beforeEach(async () => {
  harness = await startHarness(inject('mongodbUri'));
});
afterEach(async () => {
  await harness.close();
});

async function ended(store: VideoJobStore, id: string): Promise<VideoJob> {
  return vi.waitFor(
    async () => {
      const job = await store.get(id);
      expect(['succeeded', 'failed', 'cancelled']).toContain(job?.status);
      return job!;
    },
    { timeout: 15_000, interval: 25 },
  );
}

it('a create answered 500 is not retried (Runway retries only 502/503/504): the job fails PROVIDER_ERROR after one call', async () => {
  const { pipeline, store } = await harness.pipeline();
  pipeline.start();
  const { id } = await pipeline.submit({
    workspaceId: 'w500',
    projectId: 'p',
    request: { prompt: 'x [sim:internal]' },
  });
  const job = await ended(store, id);
  expect(job.status).toBe('failed');
  expect(job.error).toMatchObject({ code: 'PROVIDER_ERROR', retryable: false });
  const stats = await harness.stats();
  expect(stats.createCalls.map((call) => call.status)).toEqual([500]);
  expect(stats.creates).toBe(0);
});

it('a create answered 502 twice is retried and succeeds with one task', async () => {
  const { pipeline, store } = await harness.pipeline();
  pipeline.start();
  const { id } = await pipeline.submit({ workspaceId: 'w502', projectId: 'p', request: { prompt: 'x [sim:500x2]' } });
  expect((await ended(store, id)).status).toBe('succeeded');
  expect((await harness.stats()).createCalls.map((call) => call.status)).toEqual([502, 502, 200]);
});

it('a moderation failure keeps its SAFETY code in the job and the status, and users read a plain sentence', async () => {
  const { pipeline, store, sink } = await harness.pipeline();
  pipeline.start();
  const { id } = await pipeline.submit({ workspaceId: 'wsafe', projectId: 'p', request: { prompt: 'x [sim:safety]' } });
  const job = await ended(store, id);
  expect(job.error).toEqual({
    code: 'SAFETY.INPUT.TEXT',
    message: "The video provider's content rules refused this prompt or image. Change it and try again.",
    retryable: false,
  });
  expect(sink.of(id).at(-1)?.error?.code).toBe('SAFETY.INPUT.TEXT');
  expect(job.error?.message).not.toMatch(/SAFETY|moderation/i);
});

it("books the provider's estimate and the final cost on the job and counts credits per subject, once", async () => {
  const registry = new Registry();
  const metrics = videoMetrics(registry);
  const probe = await harness.pipeline();
  const costs = new VideoJobCosts(probe.store.models);
  const provider = new CostRecordingProvider(
    new RunwayProvider({ apiKey: TEST_KEY, baseUrl: harness.sim.runwayBaseUrl, timeoutMs: 2_000 }),
    { costs, metrics, logger: silentLogger() },
  );
  const { pipeline, store } = await harness.pipeline({ provider, metrics });
  pipeline.start();
  const request = { prompt: 'costly fox', model: 'veo3.1', duration: 4 };
  const { id } = await pipeline.submit({ workspaceId: 'wcost', projectId: 'p', request, requestedBy: 'alice' });
  const job = await ended(store, id);
  expect(job.status).toBe('succeeded');
  // Runway's own estimate is stored when a poll saw the task unfinished (a loaded machine may see it only
  // finished); either way the job shows 160 credits (4 s of veo3.1 at 40), and the cost is always stored.
  expect([undefined, 160]).toContain(job.estimatedCost);
  expect(toVideoJobInfo(job)).toMatchObject({ estimatedCost: 160, cost: 160 });
  expect(job.cost).toBe(160);
  const spent = await registry.getSingleMetricAsString('video_credits_spent_total');
  expect(spent).toContain('video_credits_spent_total{subject="alice"} 160');
  // The same finished task polled again is neither rewritten nor counted again.
  await provider.get(job.taskId!);
  expect(await costs.recordCost(job.taskId!, 999)).toBeUndefined();
  expect((await store.get(id))?.cost).toBe(160);
  expect(await registry.getSingleMetricAsString('video_credits_spent_total')).toContain('{subject="alice"} 160');
});

it('fills per-model defaults for a job stored without them (Veo: 8 s, not 5)', () => {
  expect(runwayBody({ prompt: 'fox', model: 'veo3.1' })).toEqual({
    model: 'veo3.1',
    ratio: '1280:720',
    duration: 8,
    promptText: 'fox',
  });
  expect(runwayBody({ promptImage: 'https://example.com/a.png' })).toEqual({
    model: 'gen4_turbo',
    ratio: '1280:720',
    duration: 5,
    promptImage: 'https://example.com/a.png',
  });
  // No empty promptText for a request without a prompt: Runway refuses that (and the server never sends it).
  expect(runwayBody({})).not.toHaveProperty('promptText');
});
