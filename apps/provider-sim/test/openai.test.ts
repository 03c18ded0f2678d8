import OpenAI from 'openai';
import { AuthenticationError, APIConnectionTimeoutError, InternalServerError, RateLimitError } from 'openai/error';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAI_SIM_ENHANCEMENT, OPENAI_SIM_MARKERS } from '../src/openai.js';
import { startProviderSim, type ProviderSim } from '../src/index.js';

const KEY = 'sk-sim-test-key-0123456789';
const Schema = z.object({
  prompt: z.string(),
  notes: z.string().nullable(),
  tags: z.array(z.string()),
  mood: z.enum(['calm', 'tense']),
  shots: z.number().int(),
});

let sim: ProviderSim;
beforeAll(async () => {
  sim = await startProviderSim({ openai: { apiKey: KEY, retryAfterSec: 3 } });
});
afterAll(async () => {
  await sim.close();
});

function client(apiKey = KEY, timeout = 5_000): OpenAI {
  return new OpenAI({ apiKey, baseURL: sim.openaiBaseUrl, maxRetries: 0, timeout });
}

function ask(prompt: string, openai = client()) {
  return openai.chat.completions.parse({
    model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content: 'Improve the prompt.' },
      { role: 'user', content: prompt },
    ],
    response_format: zodResponseFormat(Schema, 'enhanced'),
  });
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('expected a rejection'),
    (error: unknown) => error,
  );
}

describe('simulated OpenAI chat completions through the official SDK', () => {
  it('answers JSON valid for the requested schema, derived from the prompt only', async () => {
    const first = await ask('a red fox at dawn');
    const again = await ask('a red fox at dawn');
    expect(first.choices[0]?.message.parsed).toEqual({
      prompt: `a red fox at dawn, ${OPENAI_SIM_ENHANCEMENT}`,
      notes: 'Simulated notes for a prompt of 17 characters',
      tags: ['Simulated tags for a prompt of 17 characters'],
      mood: 'calm',
      shots: 17,
    });
    expect(again.choices[0]?.message.parsed).toEqual(first.choices[0]?.message.parsed);
    expect(first._request_id).toMatch(/^req_sim_/);
  });

  it('checks the key like OpenAI: a missing or wrong key is 401, and the wrong key is not echoed whole', async () => {
    const wrong = await failure(ask('fox', client('sk-wrong-key-abcdefghijkl')));
    expect(wrong).toBeInstanceOf(AuthenticationError);
    expect((wrong as AuthenticationError).message).not.toContain('sk-wrong-key-abcdefghijkl');
    const none = await fetch(`${sim.openaiBaseUrl}/chat/completions`, { method: 'POST' });
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
  });

  it('[sim:malformed]: content that is not JSON, which the SDK cannot parse', async () => {
    expect(await failure(ask(`fox ${OPENAI_SIM_MARKERS.malformed}`))).toBeInstanceOf(SyntaxError);
  });

  it('[sim:wrong-shape]: JSON that the schema refuses', async () => {
    expect(await failure(ask(`fox ${OPENAI_SIM_MARKERS.wrongShape}`))).toBeInstanceOf(z.ZodError);
  });

  it('[sim:refusal]: a refusal and no content', async () => {
    const { message } = (await ask(`fox ${OPENAI_SIM_MARKERS.refusal}`)).choices[0]!;
    expect(message.refusal).toMatch(/can't help/);
    expect(message.parsed).toBeNull();
  });

  it('[sim:down]: 503', async () => {
    const error = await failure(ask(`fox ${OPENAI_SIM_MARKERS.down}`));
    expect(error).toBeInstanceOf(InternalServerError);
    expect((error as InternalServerError).status).toBe(503);
    expect((error as InternalServerError).requestID).toMatch(/^req_sim_/);
  });

  it('[sim:429]: 429 with retry-after', async () => {
    const error = await failure(ask(`fox ${OPENAI_SIM_MARKERS.rateLimited}`));
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).headers?.get('retry-after')).toBe('3');
  });

  it('[sim:hang]: no answer, so the client times out (and the simulator still closes)', async () => {
    const error = await failure(ask(`fox ${OPENAI_SIM_MARKERS.hang}`, client(KEY, 200)));
    expect(error).toBeInstanceOf(APIConnectionTimeoutError);
  });

  it('answers unknown paths and bad bodies in OpenAI’s error shape', async () => {
    const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
    const missing = await fetch(`${sim.openaiBaseUrl}/embeddings`, { method: 'POST', headers, body: '{}' });
    expect(missing.status).toBe(404);
    const bad = await fetch(`${sim.openaiBaseUrl}/chat/completions`, { method: 'POST', headers, body: '{}' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { message: expect.any(String) as unknown } });
    const notJson = await fetch(`${sim.openaiBaseUrl}/chat/completions`, { method: 'POST', headers, body: '{' });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
  });
});
