import { createAuthenticator, type Core } from '@app/core';
import { createTestCore, silentLogger } from '@app/core/testing';
import { PromptHelper } from '@app/prompt-helper';
import { startProviderSim, type ProviderSim } from '@app/provider-sim';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { expectNoLeak, request, startApi, type StartedApi } from '../helpers/start-api.js';

const SECRET = 'rest-secret-that-is-at-least-32-characters';
const ENHANCEMENT = 'cinematic lighting, rich detail, smooth camera motion';
let core: Core;
let sim: ProviderSim;
let api: StartedApi;

function token(claims: { sub: string; projects: string[] | string }): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub)
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));
}

async function enhance(body: unknown, sub = 'alice', projects: string[] | string = '*') {
  return request(`${api.url}/api/prompt/enhance`, {
    method: 'POST',
    body,
    headers: { authorization: `Bearer ${await token({ sub, projects })}` },
  });
}

beforeAll(async () => {
  core = await createTestCore(inject('mongodbUri'));
  sim = await startProviderSim({ openai: { retryAfterSec: 2 } });
  api = await startApi({
    core,
    authenticator: createAuthenticator({ mode: 'jwt', secret: SECRET }),
    promptHelper: new PromptHelper({
      provider: { apiKey: 'placeholder', baseUrl: sim.openaiBaseUrl, model: 'gpt-4o-mini' },
      timeoutMs: 5_000,
      rateLimit: { perMinute: 1, burst: 6 },
      logger: silentLogger(),
      workspaces: core.service,
    }),
  });
});
afterAll(async () => {
  await api.close();
  await sim.close();
  await core.close();
});

describe('POST /api/prompt/enhance', () => {
  it('answers the rewritten prompt through the same helper as the WebSocket request', async () => {
    const res = await enhance({ prompt: 'a red fox at dawn', style: 'noir' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      prompt: `a red fox at dawn, ${ENHANCEMENT}`,
      notes: 'Simulated notes for a prompt of 17 characters',
    });
  });

  it('maps the helper’s errors to HTTP: 400, 404, 502, 503 with Retry-After', async () => {
    const invalid = await enhance({ prompt: '', model: 'x' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.code).toBe('INVALID_MESSAGE');

    const { workspace } = await core.service.create({ projectId: 'rest-pe', name: 'Shot' }, { subject: 'alice' });
    expect((await enhance({ prompt: 'fox', workspaceId: workspace.id }, 'bob', ['other'])).status).toBe(404);

    const malformed = await enhance({ prompt: 'fox [sim:malformed]' });
    expect(malformed.status).toBe(502);
    expect(malformed.body).toEqual({ code: 'PROVIDER_ERROR', message: 'The language model’s answer is not JSON' });
    expectNoLeak(malformed.text);

    const limited = await enhance({ prompt: 'fox [sim:429]' });
    expect(limited.status).toBe(503);
    expect(limited.body).toEqual({
      code: 'UNAVAILABLE',
      message: 'The language model is rate-limited; retry later',
      details: { retryAfterMs: 2_000 },
    });
    expect(limited.headers.get('retry-after')).toBe('2');
  });

  it('limits each subject: 429 RATE_LIMITED with Retry-After past its burst', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i += 1) statuses.push((await enhance({ prompt: `fox ${i}` }, 'carol')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429]);
    const limited = await enhance({ prompt: 'fox' }, 'carol');
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(50);
    expect((await enhance({ prompt: 'fox' }, 'dave')).status).toBe(200);
  });

  it('without a helper answers 503 UNAVAILABLE', async () => {
    await using bare = await startApi({ core });
    const res = await request(`${bare.url}/api/prompt/enhance`, { method: 'POST', body: { prompt: 'fox' } });
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('UNAVAILABLE');
  });
});
