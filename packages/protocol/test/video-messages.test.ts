import { describe, expect, it } from 'vitest';
import { eventDataSchemas, videoCancel, videoGenerate, videoJobSchema } from '../src/index.js';

describe.each([videoGenerate, videoCancel])('$type', (message) => {
  it.each(message.examples.valid.map((value) => [JSON.stringify(value), value] as const))('accepts %s', (_t, value) => {
    expect(message.data.safeParse(value).success).toBe(true);
  });
  it.each(message.examples.invalid.map((value) => [JSON.stringify(value), value] as const))(
    'refuses %s',
    (_t, value) => {
      expect(message.data.safeParse(value).success).toBe(false);
    },
  );
});

it('video.status_update carries the job id, a status of the six, progress 0 to 1 and a typed error', () => {
  const schema = eventDataSchemas['video.status_update'];
  expect(schema.safeParse({ workspaceId: 'w1', jobId: 'j1', status: 'running', progress: 0.4 }).success).toBe(true);
  expect(schema.safeParse({ workspaceId: 'w1', jobId: 'j1', status: 'throttled' }).success).toBe(true);
  expect(
    schema.safeParse({
      workspaceId: 'w1',
      jobId: 'j1',
      status: 'failed',
      error: { code: 'SAFETY.INPUT.TEXT', message: 'refused', retryable: false },
    }).success,
  ).toBe(true);
  expect(schema.safeParse({ workspaceId: 'w1', jobId: 'j1', status: 'running', progress: 40 }).success).toBe(false);
  expect(schema.safeParse({ workspaceId: 'w1', status: 'running' }).success).toBe(false);
  expect(schema.safeParse({ workspaceId: 'w1', jobId: 'j1', status: 'failed', error: 'text' }).success).toBe(false);
  expect(
    videoJobSchema.safeParse({ id: 'j1', workspaceId: 'w1', status: 'queued', createdAt: '2026-12-03T04:00:00.000Z' })
      .success,
  ).toBe(true);
});
