import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createAuthenticator, type Core } from '@app/core';
import { createTestCore } from '@app/core/testing';
import { startApi, type StartedApi } from './helpers/start-api.js';

let core: Core;
let open: StartedApi;
let withAuth: StartedApi;

beforeAll(async () => {
  core = await createTestCore(inject('mongodbUri'));
  open = await startApi({ core });
  withAuth = await startApi({
    core,
    authenticator: createAuthenticator({ mode: 'jwt', secret: 's'.repeat(32) }),
    rateLimit: { ratePerSec: 0.001, burst: 1 },
  });
});
afterAll(async () => {
  await open?.close();
  await withAuth?.close();
  await core?.close();
});

function expectHardened(headers: Headers): void {
  const csp = headers.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(headers.get('x-frame-options')).toBe('DENY');
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('referrer-policy')).toBe('no-referrer');
}

describe('security headers of the API', () => {
  it('sends the hardening headers and Cache-Control: no-store on API JSON', async () => {
    const res = await fetch(`${open.url}/api/projects/p1/workspaces`);
    expect(res.status).toBe(200);
    expectHardened(res.headers);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('sends them on refusals too: 401, 429 and 404', async () => {
    const unauthorized = await fetch(`${withAuth.url}/api/projects/p1/workspaces`);
    expect(unauthorized.status).toBe(401);
    expectHardened(unauthorized.headers);
    expect(unauthorized.headers.get('cache-control')).toBe('no-store');
    const limited = await fetch(`${withAuth.url}/api/projects/p1/workspaces`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('cache-control')).toBe('no-store');
    const missing = await fetch(`${open.url}/api/nothing-here`);
    expect(missing.status).toBe(404);
    expectHardened(missing.headers);
    expect(missing.headers.get('cache-control')).toBe('no-store');
    expectHardened((await fetch(`${open.url}/nothing-here`)).headers);
  });
});
