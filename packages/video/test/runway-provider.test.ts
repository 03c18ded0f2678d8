import { afterAll, beforeAll, expect, it } from 'vitest';
import { startProviderSim, type ProviderSim } from '@app/provider-sim';
import { ProviderError, RunwayProvider, backoffMs, taskFailure } from '../src/index.js';

let sim: ProviderSim;
beforeAll(async () => {
  sim = await startProviderSim({ runway: { stepMs: 60_000, apiKey: 'key_right' } });
});
afterAll(async () => {
  await sim.close();
});

it('a wrong key is PROVIDER_AUTH, not retryable; a bad request names the field', async () => {
  const wrong = new RunwayProvider({ apiKey: 'key_wrong', baseUrl: sim.runwayBaseUrl, timeoutMs: 2_000 });
  await expect(wrong.create({ prompt: 'x' })).rejects.toMatchObject({ code: 'PROVIDER_AUTH', retryable: false });
  const right = new RunwayProvider({ apiKey: 'key_right', baseUrl: sim.runwayBaseUrl, timeoutMs: 2_000 });
  const refused = await right.create({ prompt: 'x'.repeat(1001) }).catch((error: unknown) => error);
  expect(refused).toBeInstanceOf(ProviderError);
  expect(refused).toMatchObject({ code: 'INVALID_REQUEST', retryable: false });
  expect((refused as Error).message).toContain('promptText');
  await expect(right.get('00000000-0000-0000-0000-000000000000')).rejects.toMatchObject({ code: 'NOT_FOUND' });
});

it('a 429 carries Retry-After in ms; image to video needs and sends promptImage', async () => {
  const provider = new RunwayProvider({ apiKey: 'key_right', baseUrl: sim.runwayBaseUrl, timeoutMs: 2_000 });
  await expect(provider.create({ prompt: 'limit [sim:429]' })).rejects.toMatchObject({
    code: 'RATE_LIMITED',
    retryable: true,
    retryAfterMs: 1_000,
  });
  const { taskId } = await provider.create({ prompt: 'from a frame', promptImage: 'https://example.com/a.png' });
  expect((await provider.get(taskId)).state).toBe('queued');
});

it('maps failure codes: SAFETY.* and ASSET.* are not retryable, the rest is', () => {
  expect(taskFailure('SAFETY.OUTPUT.VIDEO')).toMatchObject({ retryable: false });
  expect(taskFailure('ASSET.INVALID')).toMatchObject({ retryable: false });
  expect(taskFailure('INTERNAL.BAD_OUTPUT.CODE01')).toMatchObject({ retryable: true });
  expect(taskFailure(undefined)).toMatchObject({ code: 'INTERNAL', retryable: true });
});

it('backoff doubles from the base, is capped, jitters down by at most half, and respects a floor', () => {
  const fixed = (value: number) => ({ baseMs: 100, maxMs: 1_000, random: () => value });
  expect([0, 1, 2, 3, 4, 10].map((n) => backoffMs(n, fixed(0)))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  expect(backoffMs(2, fixed(0.999_999))).toBe(200);
  expect(backoffMs(0, fixed(0), 5_000)).toBe(5_000);
});
