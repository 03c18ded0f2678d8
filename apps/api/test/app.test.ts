import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Core } from '@app/core';
import { createTestCore } from '@app/core/testing';
import { expectNoLeak, request, startApi, type StartedApi } from './helpers/start-api.js';

let core: Core;
let api: StartedApi;

beforeAll(async () => {
  core = await createTestCore(inject('mongodbUri'));
  api = await startApi({ core });
});
afterAll(async () => {
  await api?.close();
  await core?.close();
});

describe('createApi', () => {
  it('does not send x-powered-by', async () => {
    const res = await fetch(`${api.url}/health`);
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it.each([
    ['GET', '/nope'],
    ['GET', '/api/projects/p1'],
    ['POST', '/health'],
    ['GET', '/api/workspaces/w1/extra'],
  ])('answers 404 NOT_FOUND JSON for %s %s', async (method, path) => {
    const res = await request(`${api.url}${path}`, { method });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toEqual({ code: 'NOT_FOUND', message: `No route for ${method} ${path}` });
  });

  it('answers 413 INVALID_MESSAGE for a body over 1 MiB, and reads one just under it', async () => {
    const url = `${api.url}/api/projects/big/workspaces`;
    const over = await request(url, {
      method: 'POST',
      rawBody: JSON.stringify({ name: 'x', data: { s: 'a'.repeat(1024 * 1024) } }),
    });
    expect(over.status).toBe(413);
    expect(over.body).toEqual({ code: 'INVALID_MESSAGE', message: 'Request body is too large' });
    // Just under the limit the body is parsed, then refused by the schema (data over 256 KiB), not by size.
    const under = await request(url, {
      method: 'POST',
      rawBody: JSON.stringify({ name: 'x', data: { s: 'a'.repeat(1024 * 1024 - 100) } }),
    });
    expect(under.status).toBe(400);
    expect(under.body.code).toBe('INVALID_MESSAGE');
    expect(under.body.details.issues[0].path[0]).toBe('data');
    expect(await core.service.list('big')).toEqual({ workspaces: [], seq: 0 });
  });

  it('never puts stack traces, paths or the request body in an error response', async () => {
    const responses = await Promise.all([
      request(`${api.url}/api/projects/p1/workspaces`, { method: 'POST', rawBody: '{"secret": "hunter2"' }),
      request(`${api.url}/api/workspaces/%E0%A4%A`),
      request(`${api.url}/api/workspaces/missing`),
      request(`${api.url}/nowhere`),
    ]);
    for (const res of responses) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(Object.keys(res.body).sort()).toEqual(expect.arrayContaining(['code', 'message']));
      expect(Object.keys(res.body).every((key) => ['code', 'message', 'details'].includes(key))).toBe(true);
      expectNoLeak(res.text);
      expect(res.text).not.toContain('hunter2');
    }
  });
});
