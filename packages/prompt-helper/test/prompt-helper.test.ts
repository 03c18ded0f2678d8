import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createMetrics, type Logger } from '@app/core';
import { ProtocolError } from '@app/protocol';
import { openAiRoutes, startProviderSim, type ProviderSim } from '@app/provider-sim';
import { DEFAULT_RETRY_AFTER_MS, PromptHelper, createPromptMetrics, type PromptHelperOptions } from '../src/index.js';

const KEY = 'sk-test-0123456789abcdefghijklmnopqrstuvwxyz';
const ENHANCEMENT = 'cinematic lighting, rich detail, smooth camera motion';
const caller = { subject: 'alice' };

let sim: ProviderSim;
beforeAll(async () => {
  sim = await startProviderSim({ openai: { apiKey: KEY, retryAfterSec: 2 } });
});
afterAll(async () => {
  await sim.close();
});

function memoryLogger(lines: string[], level = 'debug'): Logger {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  return createLogger({ level, format: 'json', stream });
}

function helper(overrides: Partial<PromptHelperOptions> = {}, logs: string[] = []): PromptHelper {
  return new PromptHelper({
    provider: { apiKey: KEY, baseUrl: sim.openaiBaseUrl, model: 'gpt-4o-mini' },
    timeoutMs: 5_000,
    rateLimit: false,
    logger: memoryLogger(logs),
    ...overrides,
  });
}

async function rejection(promise: Promise<unknown>): Promise<ProtocolError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ProtocolError);
  return error as ProtocolError;
}

describe('PromptHelper against the simulated OpenAI API (official SDK over HTTP)', () => {
  it('answers the structured output, parsed by the zod schema', async () => {
    const result = await helper().enhance({ prompt: 'a red fox at dawn', style: 'documentary' }, caller);
    expect(result).toEqual({
      prompt: `a red fox at dawn, ${ENHANCEMENT}`,
      notes: 'Simulated notes for a prompt of 17 characters',
    });
  });

  it('malformed model output (not JSON) is PROVIDER_ERROR with a clear message, and the helper keeps working', async () => {
    const prompts = helper();
    const error = await rejection(prompts.enhance({ prompt: 'a fox [sim:malformed]' }, caller));
    expect(error.code).toBe('PROVIDER_ERROR');
    expect(error.message).toBe('The language model’s answer is not JSON');
    expect((await prompts.enhance({ prompt: 'a fox' }, caller)).prompt).toBe(`a fox, ${ENHANCEMENT}`);
  });

  it('JSON that does not match the schema is PROVIDER_ERROR naming the fields', async () => {
    const error = await rejection(helper().enhance({ prompt: 'a fox [sim:wrong-shape]' }, caller));
    expect(error.code).toBe('PROVIDER_ERROR');
    expect(error.message).toBe('The language model’s answer does not have the expected fields');
    const paths = (error.details?.['issues'] as { path: unknown[] }[]).map((issue) => issue.path);
    expect(paths).toEqual(expect.arrayContaining([['prompt'], ['notes']]));
  });

  it('a refusal is PROVIDER_ERROR quoting it', async () => {
    const error = await rejection(helper().enhance({ prompt: 'a fox [sim:refusal]' }, caller));
    expect(error.code).toBe('PROVIDER_ERROR');
    expect(error.message).toMatch(/^The language model declined: I'm sorry/);
  });

  it('provider down (503) is UNAVAILABLE with retryAfterMs', async () => {
    const error = await rejection(helper().enhance({ prompt: 'a fox [sim:down]' }, caller));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('The language model answered HTTP 503; retry later');
    expect(error.details).toEqual({ retryAfterMs: DEFAULT_RETRY_AFTER_MS });
  });

  it('provider unreachable is UNAVAILABLE with retryAfterMs', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const prompts = helper({ provider: { apiKey: KEY, baseUrl: `http://127.0.0.1:${port}/v1`, model: 'm' } });
    const error = await rejection(prompts.enhance({ prompt: 'a fox' }, caller));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('The language model could not be reached');
    expect(error.details).toEqual({ retryAfterMs: DEFAULT_RETRY_AFTER_MS });
  });

  it('a bad key is UNAVAILABLE and the key appears in no log line', async () => {
    const logs: string[] = [];
    const prompts = helper(
      { provider: { apiKey: 'sk-wrong-9876543210zyxwvutsrqponmlkjihgfedcba', baseUrl: sim.openaiBaseUrl, model: 'm' } },
      logs,
    );
    const error = await rejection(prompts.enhance({ prompt: 'a fox' }, caller));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('The language model refused this server’s credentials (OPENAI_API_KEY)');
    expect(logs.join('')).toContain('HTTP 401');
    expect(logs.join('')).not.toMatch(/sk-wrong|zyxwvu|fedcba/);
  });
});

describe('429 and a hung call, each sent once (no SDK retries)', () => {
  let server: Server;
  let calls = 0;
  let baseUrl: string;
  beforeAll(async () => {
    // The simulator's routes behind a counter: what reaches the provider, retries included.
    const app = express();
    app.use((_req, _res, next) => {
      calls += 1;
      next();
    });
    app.use('/v1', openAiRoutes({ retryAfterSec: 2 }));
    server = createServer(app).listen(0, '127.0.0.1');
    await once(server, 'listening');
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('is UNAVAILABLE with the provider’s retry-after as retryAfterMs, after exactly one call', async () => {
    const prompts = helper({ provider: { apiKey: 'any', baseUrl, model: 'm' } });
    const error = await rejection(prompts.enhance({ prompt: 'a fox [sim:429]' }, caller));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('The language model is rate-limited; retry later');
    expect(error.details).toEqual({ retryAfterMs: 2_000 });
    expect(calls).toBe(1);
  });

  it('a hung provider call ends at PROMPT_TIMEOUT_MS as UNAVAILABLE, after exactly one call', async () => {
    calls = 0;
    const prompts = helper({ provider: { apiKey: 'any', baseUrl, model: 'm' }, timeoutMs: 300 });
    const error = await rejection(prompts.enhance({ prompt: 'a fox [sim:hang]' }, caller));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('The language model did not answer within 300 ms');
    expect(error.details).toEqual({ retryAfterMs: DEFAULT_RETRY_AFTER_MS });
    expect(calls).toBe(1);
  });
});

describe('per-subject rate limit', () => {
  it('refuses past the burst with RATE_LIMITED and retryAfterMs, per subject, and refills with time', async () => {
    let now = 0;
    const prompts = helper({ rateLimit: { perMinute: 6, burst: 2 }, now: () => now });
    await prompts.enhance({ prompt: 'one' }, caller);
    await prompts.enhance({ prompt: 'two' }, caller);
    const error = await rejection(prompts.enhance({ prompt: 'three' }, caller));
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.details).toEqual({ retryAfterMs: 10_000 }); // 6 per minute: one every 10 s
    expect((await prompts.enhance({ prompt: 'three' }, { subject: 'bob' })).prompt).toBe(`three, ${ENHANCEMENT}`);
    now += 10_000;
    expect((await prompts.enhance({ prompt: 'three' }, caller)).prompt).toBe(`three, ${ENHANCEMENT}`);
  });
});

describe('workspace check', () => {
  it('asks the lookup with the caller’s context and passes its NOT_FOUND on, without calling the model', async () => {
    const seen: unknown[] = [];
    const authorize = (): void => {};
    const prompts = helper({
      workspaces: {
        get: (id, ctx) => {
          seen.push([id, ctx.authorize]);
          return id === 'w1' ? Promise.resolve({}) : Promise.reject(new ProtocolError('NOT_FOUND', `${id} not found`));
        },
      },
    });
    expect((await prompts.enhance({ prompt: 'fox', workspaceId: 'w1' }, { subject: 'a', authorize })).prompt).toBe(
      `fox, ${ENHANCEMENT}`,
    );
    const error = await rejection(prompts.enhance({ prompt: 'fox [sim:hang]', workspaceId: 'w2' }, caller));
    expect(error.code).toBe('NOT_FOUND');
    expect(seen).toEqual([
      ['w1', authorize],
      ['w2', undefined],
    ]);
  });

  it('without a lookup a workspaceId is NOT_FOUND', async () => {
    expect((await rejection(helper().enhance({ prompt: 'fox', workspaceId: 'w1' }, caller))).code).toBe('NOT_FOUND');
  });
});

describe('not configured', () => {
  it('answers UNAVAILABLE saying what to set', async () => {
    const error = await rejection(helper({ provider: undefined }).enhance({ prompt: 'fox' }, caller));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toMatch(/set OPENAI_API_KEY \(or OPENAI_BASE_URL/);
    expect(helper({ provider: undefined }).configured).toBe(false);
  });
});

describe('logs and metrics', () => {
  it('never contain the key; the prompt only at debug level', async () => {
    const logs: string[] = [];
    const debug = helper({}, logs);
    await debug.enhance({ prompt: 'a secret plot twist' }, caller);
    await rejection(debug.enhance({ prompt: 'a secret plot twist [sim:down]' }, caller));
    await rejection(debug.enhance({ prompt: 'a secret plot twist [sim:malformed]' }, caller));
    const text = logs.join('');
    expect(text).toContain('a secret plot twist');
    expect(text).toContain('prompt.enhance answered in');
    expect(text).toMatch(
      /UNAVAILABLE: The language model answered HTTP 503; retry later \(HTTP 503, request req_sim_\w+\)/,
    );
    expect(text).not.toContain(KEY);
    expect(text).not.toContain(KEY.slice(3, 20));

    const infoLogs: string[] = [];
    const info = new PromptHelper({
      provider: { apiKey: KEY, baseUrl: sim.openaiBaseUrl, model: 'm' },
      timeoutMs: 5_000,
      rateLimit: false,
      logger: memoryLogger(infoLogs, 'info'),
    });
    await info.enhance({ prompt: 'a secret plot twist' }, caller);
    await rejection(info.enhance({ prompt: 'a secret plot twist [sim:down]' }, caller));
    expect(infoLogs.join('')).toContain('prompt.enhance answered in');
    expect(infoLogs.join('')).not.toContain('secret plot');
  });

  it('count latency by outcome and errors by code', async () => {
    const { registry } = createMetrics();
    const prompts = helper({ metrics: createPromptMetrics(registry), rateLimit: { perMinute: 1, burst: 2 } });
    await prompts.enhance({ prompt: 'fox' }, caller);
    await rejection(prompts.enhance({ prompt: 'fox [sim:down]' }, caller));
    await rejection(prompts.enhance({ prompt: 'fox' }, caller));
    const text = await registry.metrics();
    expect(text).toContain('prompt_enhance_duration_seconds_count{outcome="ok"} 1');
    expect(text).toContain('prompt_enhance_duration_seconds_count{outcome="UNAVAILABLE"} 1');
    expect(text).toContain('prompt_enhance_errors_total{code="UNAVAILABLE"} 1');
    expect(text).toContain('prompt_enhance_errors_total{code="RATE_LIMITED"} 1');
  });
});
