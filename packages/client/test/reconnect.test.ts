import { afterEach, describe, expect, it } from 'vitest';
import { ClientError, MAX_TOKEN_REFRESHES, type Client } from '../src/index.js';
import { next, recordStates, testClient } from './helpers/client.js';
import { startStubServer, workspace, type StubPeer, type StubServer } from './helpers/stub-server.js';

let server: StubServer;
let client: Client;
afterEach(async () => {
  await client?.close();
  await server?.close();
});

const drop = (peer: StubPeer) => peer.drop();

describe('reconnect', () => {
  it.each([
    ['1001 (going away)', (peer: StubPeer) => peer.close(1001, 'shutting down'), 1001],
    ['1013 (slow consumer)', (peer: StubPeer) => peer.close(1013), 1013],
    ['1011 (internal error)', (peer: StubPeer) => peer.close(1011), 1011],
    ['a dropped TCP connection', drop, 1006],
  ])('reconnects after %s', async (_name, end, code) => {
    server = await startStubServer();
    client = testClient(server.url);
    const states = recordStates(client);
    await next(client, 'open');
    const disconnected = next(client, 'disconnect');
    await end(server.peers[0]!);
    expect((await disconnected).code).toBe(code);
    await next(client, 'open');
    expect(server.peers).toHaveLength(2);
    expect(states).toEqual(['connecting', 'open', 'reconnecting', 'open']);
  });

  it('keeps retrying while the server refuses to talk, then connects', async () => {
    let refusals = 3;
    server = await startStubServer({
      hello: false,
      onPeer: (peer) => (refusals-- > 0 ? void peer.drop() : peer.hello()),
    });
    client = testClient(server.url);
    await next(client, 'open');
    expect(server.peers).toHaveLength(4);
  });

  it('resends unacknowledged requests with their original id after a drop, in order', async () => {
    server = await startStubServer();
    client = testClient(server.url);
    const first = await server.peer(0);
    const created = client.createWorkspace({ projectId: 'p1', name: 'A' });
    const deleted = client.deleteWorkspace({ id: 'w9' });
    const listed = client.listWorkspaces({ projectId: 'p1' });
    const sent = [
      await first.take('workspace.create'),
      await first.take('workspace.delete'),
      await first.take('workspace.list'),
    ];
    await first.drop();
    const second = await server.peer(1);
    const resent = [await second.take(), await second.take(), await second.take()];
    expect(resent).toEqual(sent);
    second.ack(resent[0]!.id, { workspace: workspace('w1') });
    second.ack(resent[1]!.id, { id: 'w9' });
    second.ack(resent[2]!.id, { workspaces: [], seq: 1 });
    await expect(created).resolves.toEqual({ workspace: workspace('w1') });
    await expect(deleted).resolves.toEqual({ id: 'w9' });
    await expect(listed).resolves.toEqual({ workspaces: [], seq: 1 });
  });

  it('does not resend a request that was answered before the drop', async () => {
    server = await startStubServer();
    client = testClient(server.url);
    const first = await server.peer(0);
    const done = client.deleteWorkspace({ id: 'w1' });
    first.ack((await first.take('workspace.delete')).id, { id: 'w1' });
    await done;
    const open = next(client, 'open');
    await first.drop();
    await open;
    const ping = client.ping();
    const second = server.peers[1]!;
    const frame = await second.take();
    expect(frame.type).toBe('ping');
    second.send({ type: 'pong', id: frame.id, data: { ts: '2026-01-01T00:00:00.000Z' } });
    await ping;
  });
});

describe('offline queue', () => {
  it('holds requests made while disconnected and sends them in order after hello', async () => {
    server = await startStubServer({ hello: false });
    client = testClient(server.url);
    const peer = await server.peer(0);
    const replies = ['a', 'b', 'c'].map((name) => client.createWorkspace({ projectId: 'p1', name }));
    expect(client.state).toBe('connecting');
    peer.hello();
    const frames = [await peer.take(), await peer.take(), await peer.take()];
    expect(frames.map((f) => f.data.name)).toEqual(['a', 'b', 'c']);
    frames.forEach((f, i) => peer.ack(f.id, { workspace: workspace(`w${i}`) }));
    expect((await Promise.all(replies)).map((r) => r.workspace.id)).toEqual(['w0', 'w1', 'w2']);
  });

  it('sends resent requests before newer queued ones', async () => {
    server = await startStubServer({ hello: false });
    client = testClient(server.url);
    const first = await server.peer(0);
    first.hello();
    await next(client, 'open');
    void client.deleteWorkspace({ id: 'old' }).catch(() => {});
    await first.take('workspace.delete');
    await first.drop();
    const second = await server.peer(1);
    void client.deleteWorkspace({ id: 'new' }).catch(() => {});
    second.hello();
    expect((await second.take()).data.id).toBe('old');
    expect((await second.take()).data.id).toBe('new');
  });

  it('rejects with QUEUE_FULL beyond queue.maxSize', async () => {
    server = await startStubServer({ hello: false });
    client = testClient(server.url, { queue: { maxSize: 2 } });
    const kept = [client.ping(), client.ping()];
    const error = await client.ping().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientError);
    expect(error).toMatchObject({ code: 'QUEUE_FULL' });
    const peer = await server.peer(0);
    peer.hello();
    for (let i = 0; i < 2; i++)
      peer.send({ type: 'pong', id: (await peer.take()).id, data: { ts: '2026-01-01T00:00:00Z' } });
    await Promise.all(kept);
  });

  it('rejects with QUEUE_EXPIRED after queue.maxAgeMs and never sends the request', async () => {
    server = await startStubServer({ hello: false });
    client = testClient(server.url, { queue: { maxAgeMs: 20 } });
    const error = await client.deleteWorkspace({ id: 'w1' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ClientError', code: 'QUEUE_EXPIRED' });
    const peer = await server.peer(0);
    peer.hello();
    void client.ping().catch(() => {});
    expect((await peer.take()).type).toBe('ping');
  });
});

describe('terminal close codes', () => {
  it.each([4001, 4003, 1003])(
    'stops reconnecting after %i and rejects everything with TERMINAL_CLOSE',
    async (code) => {
      server = await startStubServer();
      client = testClient(server.url);
      const states = recordStates(client);
      const peer = await server.peer(0);
      const inFlight = client.createWorkspace({ projectId: 'p1', name: 'A' }).catch((e: unknown) => e);
      await peer.take('workspace.create');
      const reported = next(client, 'error');
      await peer.close(code, 'bye');
      const error = await reported;
      expect(error).toBeInstanceOf(ClientError);
      expect(error).toMatchObject({ code: 'TERMINAL_CLOSE', closeCode: code });
      expect(error.message).toContain(String(code));
      expect(await inFlight).toBe(error);
      await expect(client.ping()).rejects.toBe(error);
      expect(client.closeError).toBe(error);
      expect(states).toEqual(['connecting', 'open', 'closed']);
      // Nothing can be awaited for "no reconnect": give a 2 ms backoff ample time to act.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(server.peers).toHaveLength(1);
    },
  );

  it('with a token function, reconnects after 4001 with a fresh token and resets the count once a new token gets in', async () => {
    let closes = 5; // more 4001 closes in a row than MAX_TOKEN_REFRESHES, each with a new token: never terminal
    server = await startStubServer({ onPeer: (peer) => void (closes-- > 0 && peer.close(4001, 'token expired')) });
    let issued = 0;
    client = testClient(server.url, { token: () => `t${++issued}` });
    await next(client, 'open', () => server.peers.length === 6);
    expect(server.peers.map((p) => p.path)).toEqual([1, 2, 3, 4, 5, 6].map((n) => `/?access_token=t${n}`));
    expect(client.state).toBe('open');
  });

  it(`with a token function that keeps giving the refused token, gives up after ${MAX_TOKEN_REFRESHES} refreshes even when the server lets it in each time`, async () => {
    server = await startStubServer({ onPeer: (peer) => void peer.close(4001, 'token expired') });
    client = testClient(server.url, { token: () => 'same' });
    const error = await next(client, 'error');
    expect(error).toMatchObject({ code: 'TERMINAL_CLOSE', closeCode: 4001 });
    expect(server.peers).toHaveLength(MAX_TOKEN_REFRESHES + 1);
  });

  it('treats an upgrade refused with HTTP 401 as 4001 (Node)', async () => {
    server = await startStubServer({ refuseWithStatus: 401 });
    client = testClient(server.url);
    const error = await next(client, 'error');
    expect(error).toMatchObject({ code: 'TERMINAL_CLOSE', closeCode: 4001 });
    expect(client.state).toBe('closed');
  });

  it('retries an upgrade refused with HTTP 503', async () => {
    let attempts = 0;
    server = await startStubServer({ refuseWithStatus: 503 });
    client = testClient(server.url);
    await new Promise<void>((resolve) =>
      client.on('disconnect', () => {
        if (++attempts === 3) resolve();
      }),
    );
    expect(client.state).toBe('reconnecting');
  });
});
