import { authorizerFor, createBudget, type Core } from '@app/core';
import { createTestCore } from '@app/core/testing';
import { afterEach, beforeEach, expect, inject, it } from 'vitest';
import { VideoService, WorkspaceStatusSink } from '../src/index.js';
import { startHarness, type Harness } from './helpers/harness.js';

let harness: Harness;
let core: Core & { dbName: string };
let other: Core & { dbName: string };

beforeEach(async () => {
  harness = await startHarness(inject('mongodbUri'));
  core = await createTestCore(inject('mongodbUri'), harness.dbName);
  other = await createTestCore(inject('mongodbUri'), harness.dbName); // a second node on the same database
});
afterEach(async () => {
  await harness.close();
  await other.connection.close();
  await core.close();
});

const alice = (requestId: string) => ({
  subject: 'alice',
  requestId,
  authorize: authorizerFor({ subject: 'alice', projects: '*' }),
});

it('a subject starts at most VIDEO_DAILY_LIMIT_PER_SUBJECT jobs a day across two nodes; a retry costs nothing; the refusal says until when', async () => {
  const { pipeline, store } = await harness.pipeline({ sink: new WorkspaceStatusSink(core.service) });
  const spec = { name: 'video-daily-per-subject', points: 2, durationMs: 86_400_000, message: 'Spent for today' };
  const nodes = [core, other].map(
    (node) =>
      new VideoService({
        service: node.service,
        pipeline,
        store,
        dailyBudget: createBudget(spec, { kind: 'database', connection: node.connection }),
      }),
  );
  const workspaces = await Promise.all(
    ['A', 'B', 'C', 'D'].map(
      async (name) => (await core.service.create({ projectId: 'p-budget', name }, { subject: 'alice' })).workspace,
    ),
  );
  const results = await Promise.allSettled(
    workspaces.map((workspace, i) =>
      nodes[i % 2]!.generate({ workspaceId: workspace.id, prompt: 'fox' }, alice(`r${i}`)),
    ),
  );
  const started = results.filter((result) => result.status === 'fulfilled');
  expect(started).toHaveLength(2);
  for (const result of results) {
    if (result.status === 'rejected')
      expect(result.reason).toMatchObject({
        code: 'RATE_LIMITED',
        details: { budget: 'video-daily-per-subject', retryAfterMs: expect.any(Number) },
      });
  }
  // Retrying a request that started its job answers that job again, without spending.
  const index = results.findIndex((result) => result.status === 'fulfilled');
  const retry = await nodes[1]!.generate({ workspaceId: workspaces[index]!.id, prompt: 'fox' }, alice(`r${index}`));
  expect(retry.job.id).toBe((started[0] as PromiseFulfilledResult<typeof retry>).value.job.id);
  expect((await harness.stats()).creates).toBeLessThanOrEqual(2);
});
