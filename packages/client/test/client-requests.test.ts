import { ProtocolError } from '@app/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientError, type Client } from '../src/index.js';
import { next, testClient } from './helpers/client.js';
import { startStubServer, workspace, type StubServer } from './helpers/stub-server.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let server: StubServer;
let client: Client;
afterEach(async () => {
  await client?.close();
  await server?.close();
});

describe('requests', () => {
  it('sends a typed request with a UUID id and resolves with the typed ack data', async () => {
    server = await startStubServer();
    client = testClient(server.url);
    const reply = client.createWorkspace({ projectId: 'p1', name: 'Intro', data: { prompt: 'fox' } });
    const peer = await server.peer(0);
    const frame = await peer.take('workspace.create');
    expect(frame).toEqual({
      type: 'workspace.create',
      id: expect.stringMatching(UUID),
      data: { projectId: 'p1', name: 'Intro', data: { prompt: 'fox' } },
    });
    peer.ack(frame.id, { workspace: workspace('w1') });
    await expect(reply).resolves.toEqual({ workspace: workspace('w1') });
  });

  it('has a convenience method for every request type', async () => {
    server = await startStubServer();
    client = testClient(server.url);
    const peer = await server.peer(0);
    const replies = [
      client.updateWorkspace({ id: 'w1', patch: { name: 'B' }, expectedVersion: 1 }),
      client.deleteWorkspace({ id: 'w1' }),
      client.reorderWorkspaces({ projectId: 'p1', order: ['w2', 'w1'] }),
      client.listWorkspaces({ projectId: 'p1' }),
      client.ping(),
    ];
    const acks = [
      { workspace: workspace('w1', 'p1', 0, 2) },
      { id: 'w1' },
      { order: ['w2', 'w1'] },
      { workspaces: [workspace('w2')], seq: 7 },
    ];
    const types = ['workspace.update', 'workspace.delete', 'workspace.reorder', 'workspace.list'];
    for (const [i, type] of types.entries()) peer.ack((await peer.take(type)).id, acks[i]);
    const ping = await peer.take('ping');
    expect(ping).toEqual({ type: 'ping', id: expect.stringMatching(UUID) });
    peer.send({ type: 'pong', id: ping.id, data: { ts: '2026-01-01T00:00:00.000Z' } });
    expect(await Promise.all(replies)).toEqual([...acks, { ts: '2026-01-01T00:00:00.000Z' }]);
  });

  it('enhancePrompt sends prompt.enhance and resolves with the rewritten prompt', async () => {
    server = await startStubServer();
    client = testClient(server.url);
    const reply = client.enhancePrompt({ prompt: 'a fox', workspaceId: 'w1', style: 'noir' });
    const peer = await server.peer(0);
    const frame = await peer.take('prompt.enhance');
    expect(frame).toEqual({
      type: 'prompt.enhance',
      id: expect.stringMatching(UUID),
      data: { prompt: 'a fox', workspaceId: 'w1', style: 'noir' },
    });
    peer.ack(frame.id, { prompt: 'a fox in the rain at night', notes: 'Added light and weather.' });
    await expect(reply).resolves.toEqual({ prompt: 'a fox in the rain at night', notes: 'Added light and weather.' });
    await expect(client.enhancePrompt({ prompt: '' })).rejects.toMatchObject({ code: 'INVALID_MESSAGE' });
  });

  it('generateVideo and cancelVideo send video.generate / video.cancel and resolve with the job', async () => {
    server = await startStubServer();
    client = testClient(server.url);
    const peer = await server.peer(0);
    const job = { id: 'j1', workspaceId: 'w1', status: 'queued', createdAt: '2026-01-01T00:00:00.000Z' } as const;
    const generated = client.generateVideo({ workspaceId: 'w1', prompt: 'a fox', duration: 5 }, { id: 'g1' });
    const generate = await peer.take('video.generate');
    expect(generate).toEqual({
      type: 'video.generate',
      id: 'g1',
      data: { workspaceId: 'w1', prompt: 'a fox', duration: 5 },
    });
    peer.ack(generate.id, { job });
    await expect(generated).resolves.toEqual({ job });
    const cancelled = client.cancelVideo({ workspaceId: 'w1' });
    const cancel = await peer.take('video.cancel');
    expect(cancel).toEqual({ type: 'video.cancel', id: expect.stringMatching(UUID), data: { workspaceId: 'w1' } });
    peer.ack(cancel.id, { job: { ...job, status: 'cancelled' } });
    await expect(cancelled).resolves.toEqual({ job: { ...job, status: 'cancelled' } });
  });

  it('puts a paged list together: page frames with the request id, then the ack with the rest', async () => {
    server = await startStubServer();
    client = testClient(server.url);
    const reply = client.listWorkspaces({ projectId: 'p1' });
    const peer = await server.peer(0);
    const frame = await peer.take('workspace.list');
    peer.send({ type: 'page', id: frame.id, data: { workspaces: [workspace('w1', 'p1', 0)] } });
    peer.send({
      type: 'page',
      id: frame.id,
      data: { workspaces: [workspace('w2', 'p1', 1), workspace('w3', 'p1', 2)] },
    });
    peer.ack(frame.id, { workspaces: [workspace('w4', 'p1', 3)], seq: 9 });
    const list = await reply;
    expect(list.workspaces.map((w) => w.id)).toEqual(['w1', 'w2', 'w3', 'w4']);
    expect(list.seq).toBe(9);
  });

  it('forgets the pages of a reply cut by a disconnect: the resent request starts over', async () => {
    server = await startStubServer();
    client = testClient(server.url);
    const reply = client.listWorkspaces({ projectId: 'p1' });
    const first = await server.peer(0);
    const frame = await first.take('workspace.list');
    first.send({ type: 'page', id: frame.id, data: { workspaces: [workspace('old', 'p1', 0)] } });
    await first.drop();
    const second = await server.peer(1);
    const again = await second.take('workspace.list');
    expect(again.id).toBe(frame.id);
    second.send({ type: 'page', id: again.id, data: { workspaces: [workspace('w1', 'p1', 0)] } });
    second.ack(again.id, { workspaces: [workspace('w2', 'p1', 1)], seq: 2 });
    expect((await reply).workspaces.map((w) => w.id)).toEqual(['w1', 'w2']);
  });

  it('rejects with a ProtocolError carrying the server code, message and details', async () => {
    server = await startStubServer();
    client = testClient(server.url);
    const reply = client.updateWorkspace({ id: 'w1', patch: { name: 'B' }, expectedVersion: 1 });
    const peer = await server.peer(0);
    const frame = await peer.take('workspace.update');
    peer.error(frame.id, 'CONFLICT', 'Version is stale', { workspace: workspace('w1', 'p1', 0, 3) });
    const error = await reply.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({
      code: 'CONFLICT',
      message: 'Version is stale',
      details: { workspace: { version: 3 } },
    });
  });

  it('rejects with ClientError TIMEOUT when no reply comes in time, and ignores the late reply', async () => {
    server = await startStubServer();
    client = testClient(server.url);
    const peer = await server.peer(0);
    const reply = client.request('workspace.list', { projectId: 'p1' }, { timeoutMs: 30 });
    const frame = await peer.take('workspace.list');
    const error = await reply.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientError);
    expect(error).toMatchObject({ code: 'TIMEOUT' });
    peer.ack(frame.id, { workspaces: [], seq: 0 });
    const pong = client.ping();
    peer.send({ type: 'pong', id: (await peer.take('ping')).id, data: { ts: '2026-01-01T00:00:00.000Z' } });
    await expect(pong).resolves.toBeDefined();
    expect(client.state).toBe('open');
  });

  it('rejects invalid data locally with INVALID_MESSAGE and sends nothing', async () => {
    server = await startStubServer();
    client = testClient(server.url);
    const peer = await server.peer(0);
    const bad = client.request('workspace.create', { projectId: 'p1', name: 'x', data: { $set: 1 } });
    await expect(bad).rejects.toMatchObject({ name: 'ProtocolError', code: 'INVALID_MESSAGE' });
    void client.ping().catch(() => {});
    await peer.take('ping');
    expect(peer.received.map((f) => f.type)).toEqual(['ping']);
  });

  it('uses a caller-supplied id and refuses one already in flight', async () => {
    server = await startStubServer();
    client = testClient(server.url);
    const peer = await server.peer(0);
    const first = client.deleteWorkspace({ id: 'w1' }, { id: 'my-key' });
    await expect(client.deleteWorkspace({ id: 'w1' }, { id: 'my-key' })).rejects.toMatchObject({
      code: 'INVALID_MESSAGE',
    });
    expect((await peer.take('workspace.delete')).id).toBe('my-key');
    peer.ack('my-key', { id: 'w1' });
    await expect(first).resolves.toEqual({ id: 'w1' });
  });

  it('rejects a frame over the server limit with TOO_LARGE instead of sending it', async () => {
    server = await startStubServer({ hello: { maxMessageBytes: 200 } });
    client = testClient(server.url);
    await next(client, 'open');
    const big = client.createWorkspace({ projectId: 'p1', name: 'é'.repeat(150) });
    await expect(big).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(server.peers[0]!.received).toEqual([]);
  });

  it('puts the token in the access_token query parameter, asking a token function on every attempt', async () => {
    server = await startStubServer();
    let calls = 0;
    client = testClient(server.url, { token: async () => `t${++calls}` });
    const first = await server.peer(0);
    expect(first.path).toBe('/?access_token=t1');
    await first.drop();
    expect((await server.peer(1)).path).toBe('/?access_token=t2');
  });

  it('reports an error frame that answers no request on the error event', async () => {
    server = await startStubServer();
    client = testClient(server.url);
    const peer = await server.peer(0);
    const reported = next(client, 'error');
    peer.send({ type: 'error', code: 'INVALID_JSON', message: 'Frame is not valid JSON' });
    expect(await reported).toMatchObject({ name: 'ProtocolError', code: 'INVALID_JSON' });
  });
});
