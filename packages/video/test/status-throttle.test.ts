import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { StatusThrottle, type VideoJob, type VideoStatusUpdate } from '../src/index.js';

const job = { id: 'j1', workspaceId: 'w1' } as VideoJob;
let sent: VideoStatusUpdate[];
let throttle: StatusThrottle;

beforeEach(() => {
  vi.useFakeTimers();
  sent = [];
  throttle = new StatusThrottle({
    sink: {
      record: (_job, update) => {
        sent.push(update);
        return Promise.resolve();
      },
    },
    intervalMs: 1_000,
    onError: () => {},
  });
});
afterEach(async () => {
  await throttle.close();
  vi.useRealTimers();
});

it('passes every change of status at once, and at most one progress-only update per interval (the latest)', async () => {
  await throttle.record(job, { status: 'queued' });
  await throttle.record(job, { status: 'running', progress: 0.1 });
  for (const progress of [0.2, 0.3, 0.4]) await throttle.record(job, { status: 'running', progress });
  expect(sent).toEqual([{ status: 'queued' }, { status: 'running', progress: 0.1 }]);
  await vi.advanceTimersByTimeAsync(1_000);
  expect(sent.at(-1)).toEqual({ status: 'running', progress: 0.4 });
  expect(sent).toHaveLength(3);
  await vi.advanceTimersByTimeAsync(5_000);
  expect(sent).toHaveLength(3); // nothing held, nothing sent
});

it('sends the final status at once, dropping a held progress update', async () => {
  await throttle.record(job, { status: 'running', progress: 0.1 });
  await throttle.record(job, { status: 'running', progress: 0.5 });
  await throttle.record(job, { status: 'succeeded', progress: 1, videoUrl: '/videos/j1.mp4' });
  await vi.advanceTimersByTimeAsync(2_000);
  expect(sent).toEqual([
    { status: 'running', progress: 0.1 },
    { status: 'succeeded', progress: 1, videoUrl: '/videos/j1.mp4' },
  ]);
});

it('a failing sink is reported and later updates still go', async () => {
  const errors: unknown[] = [];
  const flaky = new StatusThrottle({
    sink: {
      record: (_job, update) => (update.status === 'queued' ? Promise.reject(new Error('down')) : Promise.resolve()),
    },
    intervalMs: 1_000,
    onError: (error) => errors.push(error),
  });
  await flaky.record(job, { status: 'queued' });
  await flaky.record(job, { status: 'failed', error: { code: 'X', message: 'x', retryable: false } });
  expect(errors).toHaveLength(1);
  await flaky.close();
});
