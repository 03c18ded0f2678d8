import { afterAll, beforeAll, expect, it } from 'vitest';
import { silentLogger } from '@app/core/testing';
import { MAX_VIDEO_PROMPT_LENGTH, ProtocolError, checkVideoRequest, promptEnhance } from '@app/protocol';
import { OPENAI_SIM_MARKERS, OPENAI_SIM_MISSING_MODEL, startProviderSim, type ProviderSim } from '@app/provider-sim';
import { PromptHelper } from '../src/index.js';

// What the prompt helper answers when the language model's account or configuration is wrong (not a
// passing failure: asking again does not help), and that it never offers a prompt video.generate refuses.
let sim: ProviderSim;
beforeAll(async () => {
  sim = await startProviderSim({});
});
afterAll(async () => {
  await sim.close();
});

const caller = { subject: 'alice' };
const helper = (model = 'gpt-4o-mini') =>
  new PromptHelper({
    provider: { apiKey: 'sk-any', baseUrl: sim.openaiBaseUrl, model },
    timeoutMs: 5_000,
    rateLimit: false,
    logger: silentLogger(),
  });

async function rejection(promise: Promise<unknown>): Promise<ProtocolError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ProtocolError);
  return error as ProtocolError;
}

it('insufficient_quota (a 429 that is not a rate limit) is not retryable and says so', async () => {
  const error = await rejection(helper().enhance({ prompt: `fox ${OPENAI_SIM_MARKERS.quota}` }, caller));
  expect(error.code).toBe('UNAVAILABLE');
  expect(error.details).toEqual({ retryable: false, reason: 'insufficient_quota' });
  expect(error.message).toMatch(/no quota left.*will not help/);
});

it('a model that does not exist (404 model_not_found) is not retryable and names the setting', async () => {
  const error = await rejection(helper(OPENAI_SIM_MISSING_MODEL).enhance({ prompt: 'fox' }, caller));
  expect(error.code).toBe('UNAVAILABLE');
  expect(error.details).toEqual({ retryable: false, reason: 'model_not_found' });
  expect(error.message).toContain('OPENAI_MODEL');
});

it('a rate limit stays retryable', async () => {
  const error = await rejection(helper().enhance({ prompt: `fox ${OPENAI_SIM_MARKERS.rateLimited}` }, caller));
  expect(error.code).toBe('UNAVAILABLE');
  expect(error.details?.['retryAfterMs']).toBeGreaterThan(0);
});

it('never offers a prompt video.generate refuses: a longer answer is PROVIDER_ERROR naming the limit', async () => {
  const error = await rejection(helper().enhance({ prompt: `fox ${OPENAI_SIM_MARKERS.long}` }, caller));
  expect(error.code).toBe('PROVIDER_ERROR');
  expect(error.message).toContain(`${MAX_VIDEO_PROMPT_LENGTH} characters`);
  // A usable answer is one every text-to-video model takes, and the ack schema says so.
  const { prompt } = await helper().enhance({ prompt: 'a red fox at dawn' }, caller);
  expect(checkVideoRequest({ prompt }).ok).toBe(true);
  expect(promptEnhance.ack.safeParse({ prompt: 'x'.repeat(MAX_VIDEO_PROMPT_LENGTH + 1) }).success).toBe(false);
});
