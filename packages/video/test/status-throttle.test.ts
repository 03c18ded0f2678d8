import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { ProtocolError } from '@app/protocol';
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

it('a failing sink is tried again until it stores the update, in order; a refusal is final', async () => {
  const errors: unknown[] = [];
  const stored: string[] = [];
  let failures = 3;
  const flaky = new StatusThrottle({
    sink: {
      record: (_job, update) => {
        if (update.status === 'queued' && failures > 0) {
          failures -= 1;
          return Promise.reject(new Error('down'));
        }
        if (update.status === 'cancelled') return Promise.reject(new ProtocolError('CONFLICT', 'ended'));
        stored.push(update.status);
        return Promise.resolve();
      },
    },
    intervalMs: 1_000,
    retryMs: 10,
    onError: (error) => errors.push(error),
  });
  const queued = flaky.record(job, { status: 'queued' });
  const failed = flaky.record(job, { status: 'failed', error: { code: 'X', message: 'x', retryable: false } });
  await vi.advanceTimersByTimeAsync(1_000);
  expect(await queued).toBe('stored');
  expect(await failed).toBe('stored');
  expect(stored).toEqual(['queued', 'failed']); // the final one waited for the earlier one
  expect(errors).toHaveLength(3);
  expect(await flaky.record({ ...job, id: 'j2' }, { status: 'cancelled' })).toBe('refused');
  expect(await flaky.record({ ...job, id: 'j3' }, { status: 'queued' }, 1)).toBe('stored');
  await flaky.close();
});

it('close stops the retries of a sink that never answers yes', async () => {
  const flaky = new StatusThrottle({
    sink: { record: () => Promise.reject(new Error('down')) },
    intervalMs: 1_000,
    retryMs: 10,
    onError: () => {},
  });
  const queued = flaky.record(job, { status: 'queued' });
  await vi.advanceTimersByTimeAsync(100);
  await flaky.close();
  expect(await queued).toBe('dropped');
});
