import { afterEach, beforeEach, expect, inject, it } from 'vitest';
import type { VideoJobStore } from '../src/index.js';
import { workspaceJobs } from '../src/video-job-history.js';
import { startHarness, type Harness } from './helpers/harness.js';

// video.list against the embedded database: the list shows what the log shows, even in the moment
// between a job's final status being stored and its document following.
let harness: Harness;
let store: VideoJobStore;

beforeEach(async () => {
  harness = await startHarness(inject('mongodbUri'));
  ({ store } = await harness.pipeline());
});
afterEach(async () => {
  await harness.close();
});

it('lists and serves a job whose outcome is decided (final step stored) with that outcome before its document follows', async () => {
  const at = new Date();
  for (const id of ['decided', 'running']) {
    await store.insert({
      id,
      workspaceId: 'w-history',
      projectId: 'p1',
      provider: 'runway',
      request: { prompt: 'fox', model: 'gen4.5', ratio: '1280:720', duration: 5 },
      status: 'running',
      nextPollAt: at,
      deadlineAt: at,
      leaseEpoch: 1,
      createdAt: new Date(at.getTime() + (id === 'decided' ? 1 : 0)),
      updatedAt: at,
    });
  }
  const outcome = { status: 'succeeded', videoUrl: '/videos/decided.mp4', cancelTask: false };
  await store.models.Step.create({
    _id: 'decided:final',
    jobId: 'decided',
    step: 'final',
    epoch: 1,
    owner: 'n',
    at,
    outcome: JSON.stringify(outcome),
  });
  const jobs = await workspaceJobs(store.models, 'w-history', 10);
  expect(jobs.map((job) => [job.id, job.status])).toEqual([
    ['decided', 'succeeded'],
    ['running', 'running'],
  ]);
  expect(jobs[0]).toMatchObject({ videoUrl: '/videos/decided.mp4' });
  expect(jobs[0]).not.toHaveProperty('cancelTask');
  // What GET /videos/<jobId>.mp4 and the signed links read: the same view, so the file is served as soon
  // as subscribers saw `succeeded` (a page that loads it then gets no 404).
  expect(await store.view('decided')).toMatchObject({ status: 'succeeded', videoUrl: '/videos/decided.mp4' });
  expect((await store.view('running'))?.status).toBe('running');
  expect(await store.view('nothing')).toBeUndefined();
});
