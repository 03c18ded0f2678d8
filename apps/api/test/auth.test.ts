import { createAuthenticator, createMetrics, type Core } from '@app/core';
import { createTestCore } from '@app/core/testing';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { request, startApi, type StartedApi } from './helpers/start-api.js';

const SECRET = 'rest-secret-that-is-at-least-32-characters';
let core: Core;
let api: StartedApi;

function token(
  claims: { sub?: string; projects?: string[] | string },
  secret = SECRET,
  exp: string | number = '1h',
): Promise<string> {
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime(exp);
  if (claims.sub !== undefined) jwt = jwt.setSubject(claims.sub);
  return jwt.sign(new TextEncoder().encode(secret));
}

beforeAll(async () => {
  core = await createTestCore(inject('mongodbUri'));
  api = await startApi({
    core,
    authenticator: createAuthenticator({ mode: 'jwt', secret: SECRET }),
    metrics: createMetrics(),
  });
});
afterAll(async () => {
  await api.close();
  await core.close();
});

describe('REST authentication and authorization', () => {
  it('refuses missing, bad-signature and expired tokens with 401 UNAUTHORIZED', async () => {
    const cases: (string | undefined)[] = [
      undefined,
      await token({ sub: 'u', projects: '*' }, 'another-secret-that-is-32-characters-long'),
      await token({ sub: 'u', projects: '*' }, SECRET, Math.floor(Date.now() / 1000) - 300),
    ];
    for (const jwt of cases) {
      const response = await request(
        `${api.url}/api/projects/rest-a/workspaces`,
        jwt === undefined ? {} : { headers: { authorization: `Bearer ${jwt}` } },
      );
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ code: 'UNAUTHORIZED' });
    }
  });

  it("allows the token's projects and answers 403 FORBIDDEN for requests naming another project", async () => {
    const alice = { authorization: `Bearer ${await token({ sub: 'alice', projects: ['rest-a'] })}` };
    const created = await request(`${api.url}/api/projects/rest-a/workspaces`, {
      method: 'POST',
      headers: alice,
      body: { name: 'mine' },
    });
    expect(created.status).toBe(201);
    expect((await request(`${api.url}/api/projects/rest-a/workspaces`, { headers: alice })).status).toBe(200);
    expect((await request(`${api.url}/api/workspaces/${created.body.workspace.id}`, { headers: alice })).status).toBe(
      200,
    );
    const admin = { authorization: `Bearer ${await token({ sub: 'admin', projects: '*' })}` };
    const other = await request(`${api.url}/api/projects/rest-b/workspaces`, {
      method: 'POST',
      headers: admin,
      body: { name: 'theirs' },
    });
    expect(other.status).toBe(201);
    for (const [method, path, body] of [
      ['GET', '/api/projects/rest-b/workspaces', undefined],
      ['POST', '/api/projects/rest-b/workspaces', { name: 'x' }],
      ['PUT', '/api/projects/rest-b/order', { order: [other.body.workspace.id] }],
    ] as const) {
      const response = await request(`${api.url}${path}`, {
        method,
        headers: alice,
        ...(body === undefined ? {} : { body }),
      });
      expect(response.status, `${method} ${path}`).toBe(403);
      expect(response.body).toMatchObject({ code: 'FORBIDDEN' });
    }
    expect((await request(`${api.url}/api/projects/rest-b/workspaces`, { headers: admin })).body.seq).toBe(1);
  });

  it('answers a workspace id in a project the token does not allow exactly as an id that does not exist (issue 12, item 7)', async () => {
    const alice = { authorization: `Bearer ${await token({ sub: 'alice', projects: ['rest-a'] })}` };
    const admin = { authorization: `Bearer ${await token({ sub: 'admin', projects: '*' })}` };
    const hidden = (
      await request(`${api.url}/api/projects/rest-hidden/workspaces`, {
        method: 'POST',
        headers: admin,
        body: { name: 'theirs' },
      })
    ).body.workspace.id as string;
    const missing = '00000000-0000-4000-8000-000000000000';
    const calls = (id: string): [string, string, unknown][] => [
      ['GET', `/api/workspaces/${id}`, undefined],
      ['PATCH', `/api/workspaces/${id}`, { patch: { name: 'x' } }],
      ['PATCH', `/api/workspaces/${id}`, { expectedVersion: 1, patch: { name: 'x' } }],
      ['DELETE', `/api/workspaces/${id}`, undefined],
      ['DELETE', `/api/workspaces/${id}?expectedVersion=1`, undefined],
    ];
    const references = calls(missing);
    for (const [i, [method, path, body]] of calls(hidden).entries()) {
      const [, referencePath, referenceBody] = references[i]!;
      const answer = await request(`${api.url}${path}`, {
        method,
        headers: alice,
        ...(body === undefined ? {} : { body }),
      });
      const reference = await request(`${api.url}${referencePath}`, {
        method,
        headers: alice,
        ...(referenceBody === undefined ? {} : { body: referenceBody }),
      });
      expect(reference.status, `${method} ${referencePath}`).toBe(404);
      expect(reference.body).toMatchObject({ code: 'NOT_FOUND' });
      expect(answer.status, `${method} ${path}`).toBe(404);
      expect(answer.text.replaceAll(hidden, '<id>'), `${method} ${path}`).toBe(
        reference.text.replaceAll(missing, '<id>'),
      );
      expect(answer.text).not.toContain('rest-hidden');
    }
    expect((await request(`${api.url}/api/workspaces/${hidden}`, { headers: admin })).body.workspace).toMatchObject({
      name: 'theirs',
      version: 1,
    });
  });

  it('with a metrics token, answers /metrics only with it (401 otherwise)', async () => {
    const metricsToken = 'metrics-token-of-the-test';
    const guarded = await startApi({ core, metrics: createMetrics(), metricsToken });
    try {
      expect((await request(`${guarded.url}/metrics`)).status).toBe(401);
      const wrong = await request(`${guarded.url}/metrics`, { headers: { authorization: 'Bearer wrong' } });
      expect(wrong.status).toBe(401);
      const ok = await request(`${guarded.url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
      expect(ok.status).toBe(200);
      expect(ok.text).toContain('nodejs_eventloop_lag_seconds');
    } finally {
      await guarded.close();
    }
  });

  it('refuses a token without exp with 401', async () => {
    const never = await new SignJWT({ projects: '*' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u')
      .sign(new TextEncoder().encode(SECRET));
    const response = await request(`${api.url}/api/projects/rest-a/workspaces`, {
      headers: { authorization: `Bearer ${never}` },
    });
    expect(response.status).toBe(401);
  });

  it('leaves /health, /ready and /metrics open', async () => {
    expect((await request(`${api.url}/health`)).status).toBe(200);
    expect((await request(`${api.url}/ready`)).status).toBe(200);
    const metrics = await request(`${api.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('nodejs_eventloop_lag_seconds');
  });
});
