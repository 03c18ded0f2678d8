import { TrustedProxies, createAuthenticator, createMetrics, loadConfig, type Core } from '@app/core';
import { createTestCore, silentLogger } from '@app/core/testing';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { apiOptionsFromConfig } from '../src/index.js';
import { request, startApi } from './helpers/start-api.js';

const SECRET = 'rest-secret-that-is-at-least-32-characters';
let core: Core;

beforeAll(async () => {
  core = await createTestCore(inject('mongodbUri'));
});
afterAll(async () => {
  await core.close();
});

function bearer(sub: string): Promise<Record<string, string>> {
  return new SignJWT({ projects: '*' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET))
    .then((jwt) => ({ authorization: `Bearer ${jwt}` }));
}

/** Statuses of `count` sequential GETs of a project list. */
async function statuses(url: string, count: number, headers: Record<string, string> = {}): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i += 1) out.push((await request(`${url}/api/projects/rl/workspaces`, { headers })).status);
  return out;
}

describe('REST rate limit (issue 12, item 6)', () => {
  it('a token bucket per subject: past it 429 RATE_LIMITED with details.retryAfterMs and Retry-After; other subjects unaffected', async () => {
    const metrics = createMetrics();
    await using api = await startApi({
      core,
      metrics,
      authenticator: createAuthenticator({ mode: 'jwt', secret: SECRET }),
      rateLimit: { ratePerSec: 2, burst: 3 },
    });
    const alice = await bearer('alice');
    expect(await statuses(api.url, 3, alice)).toEqual([200, 200, 200]);
    const limited = await request(`${api.url}/api/projects/rl/workspaces`, {
      method: 'POST',
      headers: alice,
      body: { name: 'x' },
    });
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({
      code: 'RATE_LIMITED',
      message: 'Too many requests; retry later',
      details: { retryAfterMs: expect.any(Number) },
    });
    const retryAfterMs = limited.body.details.retryAfterMs as number;
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(500);
    expect(limited.headers.get('retry-after')).toBe('1');
    // The refused write changed nothing.
    expect((await request(`${api.url}/api/projects/rl/workspaces`, { headers: await bearer('admin') })).body.seq).toBe(
      0,
    );
    // Per subject: another subject from the same address has its own bucket; the same subject from elsewhere has not.
    expect(await statuses(api.url, 2, await bearer('bob'))).toEqual([200, 200]);
    expect(await statuses(api.url, 1, { ...alice, 'x-forwarded-for': '198.51.100.1' })).toEqual([429]);
    // Open routes are not limited.
    expect((await request(`${api.url}/health`)).status).toBe(200);
    expect(await metrics.registry.metrics()).toMatch(/^http_rate_limited_total 2$/m);
    // The bucket refills with time: waiting is the subject here.
    await new Promise((resolve) => setTimeout(resolve, retryAfterMs + 50));
    expect(await statuses(api.url, 1, alice)).toEqual([200]);
  });

  it('limits requests that fail authentication by their address, so bad tokens cannot flood either', async () => {
    await using api = await startApi({
      core,
      authenticator: createAuthenticator({ mode: 'jwt', secret: SECRET }),
      rateLimit: { ratePerSec: 0.1, burst: 2 },
    });
    expect(await statuses(api.url, 3, { authorization: 'Bearer nope' })).toEqual([401, 401, 429]);
    expect(await statuses(api.url, 1)).toEqual([429]);
    expect(await statuses(api.url, 1, await bearer('carol'))).toEqual([200]);
  });

  it("without authentication, a bucket per client address found by the forwarded-address rule: spoofed left entries change nothing, and a victim's quota cannot be filled", async () => {
    await using api = await startApi({
      core,
      rateLimit: { ratePerSec: 0.1, burst: 3 },
      trustedProxies: new TrustedProxies('127.0.0.1'),
    });
    // The test plays nginx: it appends the real client to what the client sent.
    const spoofing = (i: number): Record<string, string> => ({ 'x-forwarded-for': `198.51.100.${i}, 203.0.113.7` });
    const out: number[] = [];
    for (let i = 1; i <= 5; i += 1) out.push(...(await statuses(api.url, 1, spoofing(i))));
    expect(out).toEqual([200, 200, 200, 429, 429]);
    // The attacker names the victim's address: it only spends its own bucket.
    expect(await statuses(api.url, 1, { 'x-forwarded-for': '198.51.100.9, 203.0.113.7' })).toEqual([429]);
    expect(await statuses(api.url, 3, { 'x-forwarded-for': '198.51.100.9' })).toEqual([200, 200, 200]);
  });

  it('is configured by REST_RATE_LIMIT_PER_SEC / REST_RATE_LIMIT_BURST and TRUSTED_PROXIES', async () => {
    const config = loadConfig({
      AUTH_MODE: 'none',
      REST_RATE_LIMIT_PER_SEC: '0.5',
      REST_RATE_LIMIT_BURST: '2',
      TRUSTED_PROXIES: '127.0.0.0/8',
    });
    expect(loadConfig({ AUTH_MODE: 'none' })).toMatchObject({
      REST_RATE_LIMIT_PER_SEC: 50,
      REST_RATE_LIMIT_BURST: 100,
    });
    expect(() => loadConfig({ AUTH_MODE: 'none', REST_RATE_LIMIT_BURST: '0' })).toThrow(/REST_RATE_LIMIT_BURST/);
    const options = apiOptionsFromConfig(config, { core, logger: silentLogger() });
    expect(options.rateLimit).toEqual({ ratePerSec: 0.5, burst: 2 });
    await using api = await startApi(options);
    expect(await statuses(api.url, 3, { 'x-forwarded-for': '203.0.113.7' })).toEqual([200, 200, 429]);
    expect(await statuses(api.url, 1, { 'x-forwarded-for': '203.0.113.8' })).toEqual([200]);
  });
});
