import WsWebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type Client } from '../src/index.js';
import { makeBrowserWebSocket, STANDARD_MEMBERS } from './helpers/browser-web-socket.js';
import { next, recordSubscription } from './helpers/client.js';
import { created, startStubServer, workspace, type StubServer } from './helpers/stub-server.js';

const globals = globalThis as { WebSocket?: unknown };
const original = globals.WebSocket;
let server: StubServer;
let client: Client;
afterEach(async () => {
  await client?.close();
  await server?.close();
  globals.WebSocket = original;
});

const fast = { reconnect: { baseDelayMs: 2, maxDelayMs: 10 } };

describe('browser path (global WebSocket, no WebSocket option)', () => {
  it('requests, subscribes, reconnects and resends using only the standard WebSocket API', async () => {
    const accessed = new Set<string>();
    globals.WebSocket = makeBrowserWebSocket(accessed);
    server = await startStubServer();
    client = createClient({ url: server.url, token: 'abc', ...fast });
    const sub = recordSubscription(client, 'p1');
    const peer = await server.peer(0);
    expect(peer.path).toBe('/?access_token=abc');
    const subscribe = await peer.take('subscribe');
    peer.ack(subscribe.id, { epoch: 'e1', seq: 0, snapshot: [] });
    peer.send(created(1, 'w1'));
    await sub.wait('event:1');

    const reply = client.createWorkspace({ projectId: 'p1', name: 'A' });
    const sent = await peer.take('workspace.create');
    await peer.drop();
    const second = await server.peer(1);
    expect((await second.take('subscribe')).data).toEqual({ projectId: 'p1', sinceSeq: 1, epoch: 'e1' });
    expect(await second.take('workspace.create')).toEqual(sent);
    second.ack(sent.id, { workspace: workspace('w2') });
    await expect(reply).resolves.toEqual({ workspace: workspace('w2') });

    const used = [...accessed].filter((key) => !STANDARD_MEMBERS.has(key));
    expect(used).toEqual(['on']); // feature probe for `ws` pings; absent here, so never called
  });

  it('keeps the connection alive with ping requests, since browsers cannot see WebSocket pings', async () => {
    globals.WebSocket = makeBrowserWebSocket(new Set());
    server = await startStubServer({ hello: { heartbeatMs: 20 } });
    client = createClient({ url: server.url, ...fast, keepAlive: { pongTimeoutMs: 150 } });
    const peer = await server.peer(0);
    const ping = await peer.take('ping');
    peer.send({ type: 'pong', id: ping.id, data: { ts: new Date().toISOString() } });
    await peer.take('ping'); // the next quiet period: answered pongs kept it open
    expect(server.peers).toHaveLength(1);
    expect(await next(client, 'disconnect')).toEqual({ code: 1006, reason: 'No pong within 150 ms' });
  });

  it('works with the ws class itself as the global', async () => {
    globals.WebSocket = WsWebSocket;
    server = await startStubServer();
    client = createClient({ url: server.url, ...fast });
    const list = client.listWorkspaces({ projectId: 'p1' });
    const peer = await server.peer(0);
    peer.ack((await peer.take('workspace.list')).id, { workspaces: [], seq: 0 });
    await expect(list).resolves.toEqual({ workspaces: [], seq: 0 });
  });

  it('explains what to pass when there is no WebSocket at all', () => {
    delete globals.WebSocket;
    expect(() => createClient({ url: 'ws://127.0.0.1:1/' })).toThrow(/pass the `ws` class as the WebSocket option/);
  });
});
