import { authorizerFor, type Core } from '@app/core';
import { createTestCore } from '@app/core/testing';
import { afterEach, beforeEach, expect, inject, it, vi } from 'vitest';
import { VideoService, WorkspaceStatusSink, jobIdOf } from '../src/index.js';
import { startHarness, type Harness } from './helpers/harness.js';

let harness: Harness;
let core: Core & { dbName: string };

beforeEach(async () => {
  harness = await startHarness(inject('mongodbUri'));
  core = await createTestCore(inject('mongodbUri'), harness.dbName);
});
afterEach(async () => {
  await harness.close();
  await core.close();
});

async function service() {
  const { pipeline, store } = await harness.pipeline({ sink: new WorkspaceStatusSink(core.service) });
  pipeline.start();
  return { video: new VideoService({ service: core.service, pipeline, store }), store };
}

const alice = (requestId?: string, projects?: ReadonlySet<string>) => ({
  subject: 'alice',
  requestId,
  authorize: authorizerFor({ subject: 'alice', projects: projects ?? '*' }),
});

it('is authorised like the workspace: an unknown workspace and one of a project the caller may not use are both NOT_FOUND (as workspace reads answer), and neither reaches the provider', async () => {
  const { video } = await service();
  const { workspace } = await core.service.create({ projectId: 'p-secret', name: 'W' }, { subject: 'bob' });
  await expect(video.generate({ workspaceId: 'missing', prompt: 'x' }, alice('r1'))).rejects.toMatchObject({
    code: 'NOT_FOUND',
  });
  await expect(
    video.generate({ workspaceId: workspace.id, prompt: 'x' }, alice('r2', new Set(['p-mine']))),
  ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  await expect(video.cancel({ workspaceId: workspace.id }, alice('r3', new Set(['p-mine'])))).rejects.toMatchObject({
    code: 'NOT_FOUND',
  });
  expect((await harness.stats()).creates).toBe(0);
});

it('is idempotent by request id (one job, one provider task) and refuses a request id reused for another request', async () => {
  const { video } = await service();
  const { workspace } = await core.service.create({ projectId: 'p-idem', name: 'W' }, { subject: 'alice' });
  const input = { workspaceId: workspace.id, prompt: 'idempotent fox' };
  const [first, second] = await Promise.all([
    video.generate(input, alice('same')),
    video.generate(input, alice('same')),
  ]);
  expect(second.job.id).toBe(first.job.id);
  expect(first.job.id).toBe(jobIdOf('alice', 'same'));
  await expect(video.generate({ ...input, prompt: 'another' }, alice('same'))).rejects.toMatchObject({
    code: 'INVALID_MESSAGE',
  });
  await vi.waitFor(async () => expect((await core.service.get(workspace.id)).video?.status).toBe('succeeded'), {
    timeout: 10_000,
  });
  expect((await harness.stats()).tasks.filter((task) => task.prompt === 'idempotent fox')).toHaveLength(1);
  // Another subject's request with the same id is another job.
  expect(jobIdOf('bob', 'same')).not.toBe(jobIdOf('alice', 'same'));
});

it("the sink refuses a late status of a job that is no longer the workspace's (the workspace keeps the newest)", async () => {
  const sink = new WorkspaceStatusSink(core.service);
  const { workspace } = await core.service.create({ projectId: 'p-stale', name: 'W' }, { subject: 'alice' });
  const job = (id: string) =>
    ({ id, workspaceId: workspace.id, projectId: 'p-stale' }) as Parameters<typeof sink.record>[0];
  await sink.record(job('old'), { status: 'queued' });
  await sink.record(job('old'), { status: 'failed', error: { code: 'TIMEOUT', message: 'late', retryable: true } });
  await sink.record(job('new'), { status: 'queued' });
  await expect(sink.record(job('old'), { status: 'running', progress: 0.5 })).rejects.toMatchObject({
    code: 'NOT_FOUND',
  });
  await expect(sink.record(job('new'), { status: 'queued' })).resolves.toBeUndefined();
  await sink.record(job('new'), { status: 'cancelled' });
  await expect(sink.record(job('new'), { status: 'running' })).rejects.toMatchObject({ code: 'CONFLICT' });
  expect((await core.service.get(workspace.id)).video).toEqual({ jobId: 'new', status: 'cancelled' });
  const stored = await core.service.eventsBetween('p-stale', 0);
  expect(stored.map((event) => [event.type, event.origin])).toEqual([
    ['workspace.created', undefined],
    ['video.status_update', { source: 'video' }],
    ['video.status_update', { source: 'video' }],
    ['video.status_update', { source: 'video' }],
    ['video.status_update', { source: 'video' }],
    ['video.status_update', { source: 'video' }],
  ]);
});

it("checks the model catalogue's rules before any job exists, naming the allowed values, and fills the model's defaults", async () => {
  const { video, store } = await service();
  const { workspace } = await core.service.create({ projectId: 'p-rules', name: 'W' }, { subject: 'alice' });
  const refused = [
    { workspaceId: workspace.id },
    { workspaceId: workspace.id, prompt: 'fox', model: 'veo3.1' as const, duration: 5 },
    { workspaceId: workspace.id, prompt: 'fox', model: 'gen4.5' as const, ratio: '1920:1080' },
    { workspaceId: workspace.id, prompt: 'fox', model: 'gen4_turbo' as const },
  ];
  for (const [index, input] of refused.entries()) {
    const error = await video.generate(input, alice(`bad-${index}`)).catch((e: unknown) => e);
    expect(error, JSON.stringify(input)).toMatchObject({ code: 'INVALID_MESSAGE' });
    expect(await store.get(jobIdOf('alice', `bad-${index}`))).toBeUndefined();
  }
  await expect(video.generate(refused[1]!, alice('bad-x'))).rejects.toThrow('veo3.1 takes duration 4, 6, 8 seconds');
  expect(await store.activeJobId(workspace.id)).toBeUndefined();
  expect((await harness.stats()).creates).toBe(0);

  const { job } = await video.generate({ workspaceId: workspace.id, prompt: 'veo fox', model: 'veo3.1' }, alice('ok'));
  // Veo's own default (8 s), and its price shown in the ack: 40 credits per second.
  expect((await store.get(job.id))?.request).toEqual({
    model: 'veo3.1',
    ratio: '1280:720',
    duration: 8,
    prompt: 'veo fox',
  });
  expect(job.estimatedCost).toBe(320);
});
