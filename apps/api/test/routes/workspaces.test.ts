import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createCore, type Core } from '@app/core';
import { createTestCore, silentLogger } from '@app/core/testing';
import { DEFAULT_JSON_LIMITS, type ServerEvent } from '@app/protocol';
import { expectNoLeak, request, startApi, type StartedApi } from '../helpers/start-api.js';

let core: Core;
let api: StartedApi;
let n = 0;
const project = (): string => `p${(n += 1)}`;

beforeAll(async () => {
  core = await createTestCore(inject('mongodbUri'));
  api = await startApi({ core });
});
afterAll(async () => {
  await api?.close();
  await core?.close();
});

async function create(projectId: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return request(`${api.url}/api/projects/${projectId}/workspaces`, { method: 'POST', body, headers });
}

function expectError(res: { status: number; body: any; text: string }, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
  expect(typeof res.body.message).toBe('string');
  expectNoLeak(res.text);
}

describe('workspace reads', () => {
  it('lists a project in order with its seq', async () => {
    const p = project();
    await create(p, { name: 'A' });
    await create(p, { name: 'B' });
    await create(p, { name: 'C', position: 0 });
    const res = await request(`${api.url}/api/projects/${p}/workspaces`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body.seq).toBe(3);
    expect(res.body.workspaces.map((w: { name: string }) => w.name)).toEqual(['C', 'A', 'B']);
    expect(res.body.workspaces.map((w: { position: number }) => w.position)).toEqual([0, 1, 2]);
    expect(res.body).toEqual(await core.service.list(p));
  });

  it('lists an unknown project as empty with seq 0', async () => {
    const res = await request(`${api.url}/api/projects/never-used-${project()}/workspaces`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ workspaces: [], seq: 0 });
  });

  it('gets one workspace with its position', async () => {
    const p = project();
    await create(p, { name: 'first' });
    const { workspace } = await core.service.create(
      { projectId: p, name: 'second', data: { prompt: 'fox' } },
      { subject: 'anonymous' },
    );
    const res = await request(`${api.url}/api/workspaces/${workspace.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ workspace: { ...workspace, position: 1 } });
  });

  it('answers 404 NOT_FOUND for an unknown workspace', async () => {
    const res = await request(`${api.url}/api/workspaces/does-not-exist`);
    expectError(res, 404, 'NOT_FOUND');
    expect(res.body.message).toContain('does-not-exist');
  });

  it.each([
    ['a project id with a bad character', '/api/projects/p$1/workspaces', ['projectId']],
    ['a project id over 64 characters', `/api/projects/${'p'.repeat(65)}/workspaces`, ['projectId']],
    ['a workspace id that decodes to an operator', '/api/workspaces/%24ne', ['id']],
    ['a workspace id with a space', '/api/workspaces/a%20b', ['id']],
  ])('answers 400 INVALID_MESSAGE with issues for %s', async (_name, path, issuePath) => {
    const res = await request(`${api.url}${path}`);
    expectError(res, 400, 'INVALID_MESSAGE');
    expect(res.body.details.issues[0].path).toEqual(issuePath);
  });

  it('answers 400 for malformed percent-encoding in a path parameter', async () => {
    const res = await request(`${api.url}/api/workspaces/%E0%A4%A`);
    expectError(res, 400, 'INVALID_MESSAGE');
  });
});

describe('workspace writes', () => {
  it('creates with 201 and publishes the event with a REST origin', async () => {
    const p = project();
    const events: ServerEvent[] = [];
    const published = new Promise<void>((resolve) => {
      const stop = core.bus.subscribe(p, (event) => {
        events.push(event);
        stop();
        resolve();
      });
    });
    const res = await create(p, { name: 'Intro', data: { prompt: 'a red fox' } });
    expect(res.status).toBe(201);
    expect(res.body.workspace).toMatchObject({
      projectId: p,
      name: 'Intro',
      position: 0,
      version: 1,
      data: { prompt: 'a red fox' },
    });
    await published;
    expect(events[0]).toMatchObject({ type: 'workspace.created', projectId: p, seq: 1, origin: { source: 'rest' } });
    expect((await core.service.get(res.body.workspace.id)).name).toBe('Intro');
  });

  it('stores any JSON within the limits and returns it equal, also from another node (nested arrays, prototype-named keys, lone surrogates, double edges)', async () => {
    const p = project();
    // Raw text, as a client sends it: "__proto__" is a plain key, "\ud800" a lone surrogate.
    const deep = `${'['.repeat(31)}${']'.repeat(31)}`;
    const data = `{"keyframes":[[0,1],[2,[3,[]]]],"empty":[[],[[]]],"__proto__":{"toString":[[1]]},"constructor":1,"hasOwnProperty":null,"s":"\\ud800 \\udfff \u{1f98a}","max":1.7976931348623157e+308,"min":5e-324,"big":9007199254740993,"deep":${deep}}`;
    const created = await request(`${api.url}/api/projects/${p}/workspaces`, {
      method: 'POST',
      rawBody: `{"name":"any","data":${data}}`,
    });
    expect(created.status, created.text).toBe(201);
    const expected = JSON.stringify(JSON.parse(data));
    expect(JSON.stringify(created.body.workspace.data)).toBe(expected);
    const id = created.body.workspace.id as string;
    const patched = data.replace('"min"', '"m"');
    const updated = await request(`${api.url}/api/workspaces/${id}`, {
      method: 'PATCH',
      rawBody: `{"patch":{"data":${patched}}}`,
    });
    expect(updated.status, updated.text).toBe(200);
    await core.service.flush();
    // Another node reads only what is stored.
    const other = await createCore({
      mongodbUri: inject('mongodbUri'),
      dbName: (core as Core & { dbName: string }).dbName,
      logger: silentLogger(),
    });
    const otherApi = await startApi({ core: other });
    try {
      const got = await request(`${otherApi.url}/api/workspaces/${id}`);
      expect(JSON.stringify(got.body.workspace.data)).toBe(JSON.stringify(JSON.parse(patched)));
      const listed = await request(`${otherApi.url}/api/projects/${p}/workspaces`);
      expect(listed.text).toBe(JSON.stringify({ workspaces: [got.body.workspace], seq: 2 }));
    } finally {
      await otherApi.close();
      await other.close();
    }
  });

  it('inserts at a position', async () => {
    const p = project();
    await create(p, { name: 'A' });
    const res = await create(p, { name: 'B', position: 0 });
    expect(res.body.workspace.position).toBe(0);
    expect((await core.service.list(p)).workspaces.map((w) => w.name)).toEqual(['B', 'A']);
  });

  it.each([
    ['a missing name', { data: {} }, ['name']],
    ['an unknown key', { name: 'x', colour: 'red' }, []],
    ['an operator key in data', { name: 'x', data: { $set: 1 } }, ['data']],
    ['a negative position', { name: 'x', position: -1 }, ['position']],
    ['a projectId in the body', { name: 'x', projectId: 'other' }, ['projectId']],
  ])('refuses a create body with %s: 400 INVALID_MESSAGE', async (_name, body, pathPrefix) => {
    const p = project();
    const res = await create(p, body);
    expectError(res, 400, 'INVALID_MESSAGE');
    expect(res.body.details.issues.length).toBeGreaterThan(0);
    expect(res.body.details.issues[0].path.slice(0, pathPrefix.length)).toEqual(pathPrefix);
    expect(await core.service.list(p)).toEqual({ workspaces: [], seq: 0 });
  });

  it('answers 400 INVALID_JSON for malformed JSON, a JSON primitive, an array, and a non-JSON content type', async () => {
    const url = `${api.url}/api/projects/${project()}/workspaces`;
    const malformed = await request(url, { method: 'POST', rawBody: '{"name": "x",' });
    expectError(malformed, 400, 'INVALID_JSON');
    expect(malformed.text).not.toContain('"name"');
    expectError(await request(url, { method: 'POST', rawBody: '42' }), 400, 'INVALID_JSON');
    expectError(await request(url, { method: 'POST', body: [{ name: 'x' }] }), 400, 'INVALID_JSON');
    const text = await request(url, { method: 'POST', rawBody: 'name=x', headers: { 'content-type': 'text/plain' } });
    expectError(text, 400, 'INVALID_JSON');
  });

  it.each([
    ['half a million nested arrays', `{"name":"x","data":{"a":${'['.repeat(500_000)}${']'.repeat(500_000)}}}`],
    ['80,000 keys', `{"name":"x","data":{${Array.from({ length: 80_000 }, (_, i) => `"k${i}":0`).join(',')}}}`],
  ])('answers 400 INVALID_MESSAGE for a body of %s without parsing it', async (_name, rawBody) => {
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const res = await request(`${api.url}/api/projects/${project()}/workspaces`, { method: 'POST', rawBody });
      expectError(res, 400, 'INVALID_MESSAGE');
      expect(parse.mock.calls.filter(([text]) => text.length > 100_000)).toEqual([]);
    } finally {
      parse.mockRestore();
    }
  });

  it('updates with 200; a stale expectedVersion gets 409 CONFLICT with the current workspace', async () => {
    const p = project();
    const { body } = await create(p, { name: 'A' });
    const id: string = body.workspace.id;
    const ok = await request(`${api.url}/api/workspaces/${id}`, {
      method: 'PATCH',
      body: { patch: { name: 'A2' }, expectedVersion: 1 },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.workspace).toMatchObject({ id, name: 'A2', version: 2 });
    const stale = await request(`${api.url}/api/workspaces/${id}`, {
      method: 'PATCH',
      body: { patch: { name: 'late' }, expectedVersion: 1 },
    });
    expectError(stale, 409, 'CONFLICT');
    expect(stale.body.details.workspace).toMatchObject({ id, name: 'A2', version: 2 });
    expect((await core.service.get(id)).name).toBe('A2');
  });

  it('refuses bad update bodies and unknown workspaces', async () => {
    const p = project();
    const { body } = await create(p, { name: 'A' });
    const url = `${api.url}/api/workspaces/${body.workspace.id}`;
    expectError(await request(url, { method: 'PATCH', body: { name: 'no patch wrapper' } }), 400, 'INVALID_MESSAGE');
    expectError(
      await request(url, { method: 'PATCH', body: { patch: {}, expectedVersion: 0 } }),
      400,
      'INVALID_MESSAGE',
    );
    const withId = await request(url, { method: 'PATCH', body: { id: 'other', patch: { name: 'x' } } });
    expectError(withId, 400, 'INVALID_MESSAGE');
    expect(withId.body.details.issues[0].path).toEqual(['id']);
    expectError(
      await request(`${api.url}/api/workspaces/nope`, { method: 'PATCH', body: { patch: { name: 'x' } } }),
      404,
      'NOT_FOUND',
    );
    expect((await core.service.get(body.workspace.id)).version).toBe(1);
  });

  it('deletes with 200 {id}; a stale ?expectedVersion= gets 409; a bad one gets 400; a second delete gets 404', async () => {
    const p = project();
    const { body } = await create(p, { name: 'A' });
    await create(p, { name: 'B' });
    const id: string = body.workspace.id;
    const url = `${api.url}/api/workspaces/${id}`;
    const stale = await request(`${url}?expectedVersion=2`, { method: 'DELETE' });
    expectError(stale, 409, 'CONFLICT');
    expect(stale.body.details.workspace).toMatchObject({ id, version: 1 });
    const bad = await request(`${url}?expectedVersion=one`, { method: 'DELETE' });
    expectError(bad, 400, 'INVALID_MESSAGE');
    expect(bad.body.details.issues[0].path).toEqual(['expectedVersion']);
    expectError(await request(`${url}?expectedVersion=0`, { method: 'DELETE' }), 400, 'INVALID_MESSAGE');
    const ok = await request(`${url}?expectedVersion=1`, { method: 'DELETE' });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ id });
    expect((await core.service.list(p)).workspaces.map((w) => w.name)).toEqual(['B']);
    expectError(await request(url, { method: 'DELETE' }), 404, 'NOT_FOUND');
  });

  it('deletes without expectedVersion', async () => {
    const p = project();
    const { body } = await create(p, { name: 'A' });
    const res = await request(`${api.url}/api/workspaces/${body.workspace.id}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(await core.service.list(p)).toMatchObject({ workspaces: [], seq: 2 });
  });

  it('reorders with 200 {order}; a stale permutation gets 409 with the current order', async () => {
    const p = project();
    const a = (await create(p, { name: 'A' })).body.workspace.id as string;
    const b = (await create(p, { name: 'B' })).body.workspace.id as string;
    const c = (await create(p, { name: 'C' })).body.workspace.id as string;
    const url = `${api.url}/api/projects/${p}/order`;
    const ok = await request(url, { method: 'PUT', body: { order: [c, a, b] } });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ order: [c, a, b] });
    const listed = await request(`${api.url}/api/projects/${p}/workspaces`);
    expect(listed.body.workspaces.map((w: { id: string }) => w.id)).toEqual([c, a, b]);
    const missing = await request(url, { method: 'PUT', body: { order: [a, b] } });
    expectError(missing, 409, 'CONFLICT');
    expect(missing.body.details).toEqual({ order: [c, a, b] });
    expectError(await request(url, { method: 'PUT', body: { order: [a, a, b] } }), 409, 'CONFLICT');
    expectError(await request(url, { method: 'PUT', body: { order: 'a,b,c' } }), 400, 'INVALID_MESSAGE');
    expect((await core.service.list(p)).workspaces.map((w) => w.id)).toEqual([c, a, b]);
  });
});

describe('Idempotency-Key', () => {
  it('makes the same create twice one workspace with the same response', async () => {
    const p = project();
    const headers = { 'Idempotency-Key': `key-${p}` };
    const first = await create(p, { name: 'once' }, headers);
    const second = await create(p, { name: 'once' }, headers);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    const list = await core.service.list(p);
    expect(list.workspaces).toHaveLength(1);
    expect(list.seq).toBe(1);
  });

  it('without a key, the same create twice makes two workspaces', async () => {
    const p = project();
    await create(p, { name: 'twice' });
    await create(p, { name: 'twice' });
    expect((await core.service.list(p)).workspaces).toHaveLength(2);
  });

  it('makes a repeated update with a key apply once', async () => {
    const p = project();
    const id = (await create(p, { name: 'A' })).body.workspace.id as string;
    const init = {
      method: 'PATCH',
      body: { patch: { name: 'B' }, expectedVersion: 1 },
      headers: { 'Idempotency-Key': `upd-${p}` },
    };
    const first = await request(`${api.url}/api/workspaces/${id}`, init);
    const second = await request(`${api.url}/api/workspaces/${id}`, init);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.body).toEqual(first.body);
    expect((await core.service.get(id)).version).toBe(2);
  });

  it('refuses the same key with a different body, and keys that are empty or over 64 characters', async () => {
    const p = project();
    await create(p, { name: 'A' }, { 'Idempotency-Key': `reuse-${p}` });
    expectError(await create(p, { name: 'B' }, { 'Idempotency-Key': `reuse-${p}` }), 400, 'INVALID_MESSAGE');
    const long = await create(p, { name: 'C' }, { 'Idempotency-Key': 'k'.repeat(65) });
    expectError(long, 400, 'INVALID_MESSAGE');
    expect(long.body.details.issues[0].path).toEqual(['headers', 'Idempotency-Key']);
    expectError(await create(p, { name: 'D' }, { 'Idempotency-Key': '' }), 400, 'INVALID_MESSAGE');
    expect((await core.service.list(p)).workspaces.map((w) => w.name)).toEqual(['A']);
  });
});

describe('configured data limits', () => {
  it('refuses workspace data over MAX_DATA_BYTES / MAX_DATA_DEPTH on create and update, as the WebSocket path does', async () => {
    await using limited = await startApi({
      core,
      dataLimits: { ...DEFAULT_JSON_LIMITS, maxBytes: 2_000, maxDepth: 4 },
    });
    const p = project();
    const url = `${limited.url}/api/projects/${p}/workspaces`;
    const big = await request(url, { method: 'POST', body: { name: 'big', data: { s: 'x'.repeat(3_000) } } });
    expectError(big, 400, 'INVALID_MESSAGE');
    expect(big.body.details.issues[0].path).toEqual(['data', 's']);
    expectError(
      await request(url, { method: 'POST', body: { name: 'deep', data: { a: { b: { c: { d: {} } } } } } }),
      400,
      'INVALID_MESSAGE',
    );
    const ok = await request(url, { method: 'POST', body: { name: 'ok', data: { a: { b: 1 } } } });
    expect(ok.status).toBe(201);
    const patch = await request(`${limited.url}/api/workspaces/${ok.body.workspace.id}`, {
      method: 'PATCH',
      body: { patch: { data: { s: 'y'.repeat(3_000) } } },
    });
    expectError(patch, 400, 'INVALID_MESSAGE');
    expect(patch.body.details.issues[0].path).toEqual(['patch', 'data', 's']);
    expect((await core.service.list(p)).workspaces.map((w) => [w.name, w.version])).toEqual([['ok', 1]]);
    // The protocol's own limits (the default) take the same data.
    expect((await create(p, { name: 'big', data: { s: 'x'.repeat(3_000) } })).status).toBe(201);
  });
});
