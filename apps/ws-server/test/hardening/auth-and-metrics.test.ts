// A real server with JWT authentication and a metrics token: an upgrade with a token without `exp` is
// refused (401); /metrics answers 401 without the token; close codes chosen by the peer are counted under
// known labels or `other`, never as their own series.
import { createAuthenticator, createMetrics } from '@app/core';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { TEST_SECRET, token } from '../helpers/tokens.js';
import { upgradeStatus } from '../helpers/upgrade-status.js';

const METRICS_TOKEN = 'metrics-token-of-the-test';
let server: TestServer;
const metrics = createMetrics();

beforeAll(async () => {
  server = await startServer(inject('mongodbUri'), {
    metrics,
    metricsToken: METRICS_TOKEN,
    authenticator: createAuthenticator({ mode: 'jwt', secret: TEST_SECRET }),
  });
});
afterAll(async () => {
  await server.close();
});

const httpUrl = (): string => `${server.url.replace('ws://', 'http://')}metrics`;

describe('tokens', () => {
  it('refuses an upgrade with a token without exp (401), accepts one with it', async () => {
    const never = await new SignJWT({ projects: '*' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u')
      .setIssuedAt()
      .sign(new TextEncoder().encode(TEST_SECRET));
    expect(await upgradeStatus(`${server.url}?access_token=${never}`)).toBe(401);
    expect(await upgradeStatus(`${server.url}?access_token=${await token({ sub: 'u', projects: '*' })}`)).toBe(101);
  });
});

describe('/metrics on the WebSocket port', () => {
  it('answers 401 without the token or with another, 200 with it', async () => {
    expect((await fetch(httpUrl())).status).toBe(401);
    expect((await fetch(httpUrl(), { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    const ok = await fetch(httpUrl(), { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('ws_connections_open');
  });

  it('counts close codes the peer chooses under known labels or "other"', async () => {
    const valid = await token({ sub: 'u', projects: '*' });
    for (const code of [4999, 3333, 4321, 1000]) {
      const socket = new WebSocket(`${server.url}?access_token=${valid}`);
      await new Promise((resolve) => socket.once('open', resolve));
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.close(code);
      await closed;
    }
    await vi.waitFor(async () => {
      const text = await metrics.registry.metrics();
      expect(text).toMatch(/^ws_closes_total\{code="other"\} 3$/m);
    });
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^ws_closes_total\{code="1000"\} \d+$/m);
    expect(text).not.toMatch(/code="(4999|3333|4321)"/);
  });
});
