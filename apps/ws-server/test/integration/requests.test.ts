import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { TestPeer, type Frame } from '../helpers/test-peer.js';

let server: TestServer;
let peer: TestPeer;
let n = 0;
const project = () => `req${(n += 1)}`;

beforeAll(async () => {
  server = await startServer(inject('mongodbUri'));
  peer = await TestPeer.connect(server.url);
});
afterAll(async () => {
  await peer.close();
  await server.close();
});

async function create(projectId: string, name: string, extra: Record<string, unknown> = {}): Promise<Frame> {
  const data = await peer.ok<{ workspace: Frame }>('workspace.create', { projectId, name, ...extra });
  return data.workspace;
}

describe('hello', () => {
  it('is the first frame, with protocol version, session id, heartbeat and frame limit', async () => {
    const fresh = new TestPeer(server.url);
    const hello = await fresh.next(() => true);
    expect(hello).toEqual({
      type: 'hello',
      data: { protocol: 1, sessionId: expect.any(String), heartbeatMs: 30_000, maxMessageBytes: 1_048_576 },
    });
    await fresh.close();
  });
});

describe('requests: success paths', () => {
  it('workspace.create acks the workspace with id, version 1, position and ISO timestamps', async () => {
    const p = project();
    const reply = await peer.request(
      'workspace.create',
      { projectId: p, name: 'Intro', data: { prompt: 'fox' } },
      'create-1',
    );
    expect(reply).toEqual({
      type: 'ack',
      id: 'create-1',
      data: {
        workspace: {
          id: expect.any(String),
          projectId: p,
          name: 'Intro',
          position: 0,
          version: 1,
          data: { prompt: 'fox' },
          createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
          updatedAt: expect.stringMatching(/Z$/),
        },
      },
    });
  });

  it('workspace.update bumps the version and replaces data', async () => {
    const w = await create(project(), 'A', { data: { a: 1 } });
    const data = await peer.ok<{ workspace: Frame }>('workspace.update', {
      id: w['id'],
      patch: { name: 'B', data: { b: 2 } },
      expectedVersion: 1,
    });
    expect(data.workspace).toMatchObject({ id: w['id'], name: 'B', version: 2, data: { b: 2 } });
  });

  it('workspace.delete acks the id', async () => {
    const w = await create(project(), 'A');
    expect(await peer.ok('workspace.delete', { id: w['id'] })).toEqual({ id: w['id'] });
  });

  it('workspace.reorder acks the order and workspace.list returns it with the seq', async () => {
    const p = project();
    const a = await create(p, 'A');
    const b = await create(p, 'B');
    const order = [b['id'], a['id']];
    expect(await peer.ok('workspace.reorder', { projectId: p, order })).toEqual({ order });
    const list = await peer.ok<{ workspaces: Frame[]; seq: number }>('workspace.list', { projectId: p });
    expect(list.seq).toBe(3);
    expect(list.workspaces.map((w) => [w['id'], w['position'], w['version']])).toEqual([
      [b['id'], 0, 1],
      [a['id'], 1, 1],
    ]);
  });

  it('workspace.list of a project without events is empty at seq 0', async () => {
    expect(await peer.ok('workspace.list', { projectId: 'nothing-here' })).toEqual({ workspaces: [], seq: 0 });
  });

  it('subscribe answers a snapshot; unsubscribe acks {}', async () => {
    const p = project();
    await create(p, 'A');
    const ack = await peer.ok<Frame>('subscribe', { projectId: p });
    expect(ack).toMatchObject({
      epoch: expect.any(String),
      seq: 1,
      snapshot: [expect.objectContaining({ name: 'A' })],
    });
    expect(await peer.ok('unsubscribe', { projectId: p })).toEqual({});
  });

  it('ping answers pong with the id and an ISO timestamp, with or without data', async () => {
    const reply = await peer.request('ping', {}, 'p-1');
    expect(reply).toEqual({ type: 'pong', id: 'p-1', data: { ts: expect.stringMatching(/Z$/) } });
    const bare = await peer.request('ping', undefined, 'p-2');
    expect(bare).toMatchObject({ type: 'pong', id: 'p-2' });
  });

  it('a request without id gets a reply without id', async () => {
    peer.sendRaw(JSON.stringify({ type: 'ping' }));
    const pong = await peer.next((f) => f.type === 'pong' && !('id' in f));
    expect(pong['data']).toEqual({ ts: expect.any(String) });
  });
});

describe('requests: error codes', () => {
  it('NOT_FOUND for update and delete of an unknown workspace', async () => {
    for (const [type, data] of [
      ['workspace.update', { id: 'missing', patch: { name: 'x' } }],
      ['workspace.delete', { id: 'missing' }],
    ] as const) {
      const reply = await peer.request(type, data, `nf-${type}`);
      expect(reply).toMatchObject({ type: 'error', id: `nf-${type}`, code: 'NOT_FOUND', message: expect.any(String) });
    }
  });

  it('CONFLICT with the current workspace for a stale expectedVersion (update and delete)', async () => {
    const w = await create(project(), 'A');
    await peer.ok('workspace.update', { id: w['id'], patch: { name: 'B' } });
    const update = await peer.request('workspace.update', { id: w['id'], patch: { name: 'C' }, expectedVersion: 1 });
    expect(update).toMatchObject({ code: 'CONFLICT', details: { workspace: { id: w['id'], version: 2, name: 'B' } } });
    const del = await peer.request('workspace.delete', { id: w['id'], expectedVersion: 1 });
    expect(del).toMatchObject({ code: 'CONFLICT', details: { workspace: { version: 2 } } });
  });

  it('CONFLICT with the current order for a reorder that is not a permutation', async () => {
    const p = project();
    const a = await create(p, 'A');
    const reply = await peer.request('workspace.reorder', { projectId: p, order: [a['id'], a['id']] });
    expect(reply).toMatchObject({ code: 'CONFLICT', details: { order: [a['id']] } });
  });

  it('INVALID_JSON for unparsable and non-object frames, without closing the connection', async () => {
    for (const raw of [
      '{',
      '{"a":}',
      '{"type":"ping"} trailing',
      'NaN',
      '\ufeff{}',
      '[]',
      '42',
      'null',
      '"x"',
      'true',
    ]) {
      const next = peer.nextNew((f) => f.type === 'error');
      peer.sendRaw(raw);
      const reply = await next;
      expect(reply).toMatchObject({ code: 'INVALID_JSON' });
      expect(reply).not.toHaveProperty('id');
    }
    expect(await peer.ok('ping')).toHaveProperty('ts');
  });

  it('UNKNOWN_TYPE names the type (truncated) and echoes the id', async () => {
    const reply = await peer.request('workspace.drop', {}, 'u1');
    expect(reply).toMatchObject({
      type: 'error',
      id: 'u1',
      code: 'UNKNOWN_TYPE',
      message: expect.stringContaining('workspace.drop'),
    });
    const long = await peer.request('x'.repeat(10_000), {}, 'u2');
    expect(long).toMatchObject({ code: 'UNKNOWN_TYPE' });
    expect((long['message'] as string).length).toBeLessThan(200);
    const proto = await peer.request('__proto__', {}, 'u3');
    expect(proto).toMatchObject({ code: 'UNKNOWN_TYPE' });
  });

  it('INVALID_MESSAGE lists issue paths for schema violations and echoes the id', async () => {
    const cases: [string, unknown, (string | number)[]][] = [
      ['workspace.create', { projectId: 'p' }, ['data', 'name']],
      ['workspace.create', { projectId: 'p', name: 'x', extra: 1 }, ['data']],
      ['workspace.create', { projectId: 'p', name: 'x', position: '1' }, ['data', 'position']],
      ['workspace.create', { projectId: 'p', name: 'x', position: -1 }, ['data', 'position']],
      ['workspace.create', { projectId: 'has space', name: 'x' }, ['data', 'projectId']],
      ['workspace.update', { id: 'w', patch: { colour: 1 } }, ['data', 'patch']],
      ['workspace.update', { id: 5, patch: {} }, ['data', 'id']],
      ['workspace.reorder', { projectId: 'p', order: 'a,b' }, ['data', 'order']],
      ['subscribe', { projectId: 'p', sinceSeq: -1 }, ['data', 'sinceSeq']],
      ['ping', { a: 1 }, ['data']],
      ['workspace.list', undefined, ['data']],
    ];
    for (const [type, data, path] of cases) {
      const reply = await peer.request(type, data);
      expect(reply, `${type} ${JSON.stringify(data)}`).toMatchObject({
        type: 'error',
        code: 'INVALID_MESSAGE',
        id: expect.any(String),
      });
      const issues = (reply['details'] as { issues: { path: (string | number)[] }[] }).issues;
      expect(
        issues.some((issue) => JSON.stringify(issue.path).startsWith(JSON.stringify(path).slice(0, -1))),
        JSON.stringify(issues),
      ).toBe(true);
    }
  });

  it('INVALID_MESSAGE for envelope problems: extra top-level keys, bad id, non-string type', async () => {
    peer.sendRaw(JSON.stringify({ type: 'ping', id: 'e1', extra: true }));
    expect(await peer.next((f) => f['id'] === 'e1')).toMatchObject({ code: 'INVALID_MESSAGE' });
    const reply = peer.nextNew((f) => f.type === 'error');
    peer.sendRaw(JSON.stringify({ type: 'ping', id: 'x'.repeat(65) }));
    expect(await reply).toMatchObject({ code: 'INVALID_MESSAGE', details: { issues: [{ path: ['id'] }] } });
    peer.sendRaw(JSON.stringify({ type: 7, id: 'e3' }));
    expect(await peer.next((f) => f['id'] === 'e3')).toMatchObject({ code: 'INVALID_MESSAGE' });
  });
});
