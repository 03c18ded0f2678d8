import { afterEach, describe, expect, it } from 'vitest';
import type { Client } from '../src/index.js';
import { next, testClient } from './helpers/client.js';
import { startStubServer, workspace, type StubServer } from './helpers/stub-server.js';

let servers: StubServer[] = [];
let client: Client | undefined;
afterEach(async () => {
  await client?.close();
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

describe('several server URLs', () => {
  it('fails over to the next server when its node goes away, resending unacked mutations with their id', async () => {
    servers = [await startStubServer(), await startStubServer(), await startStubServer()];
    client = testClient(servers.map((s) => s.url));
    await next(client, 'open');
    const first = servers[0]!.peers[0]!;
    const pending = client.request('workspace.create', { projectId: 'p', name: 'x' }, { id: 'm-1' });
    const sent = await first.take('workspace.create');
    expect(sent.id).toBe('m-1');
    await servers[0]!.close(); // node 1 dies with the request unanswered
    const second = await servers[1]!.peer(0);
    const resent = await second.take('workspace.create');
    expect(resent.id).toBe('m-1');
    const created = workspace('w1', 'p');
    second.ack('m-1', { workspace: created });
    expect(await pending).toEqual({ workspace: created });
    expect(servers[2]!.peers).toHaveLength(0);
  });

  it('keeps going round the list while servers are down', async () => {
    servers = [await startStubServer(), await startStubServer()];
    const urls = servers.map((s) => s.url);
    await servers[0]!.close();
    client = testClient(urls);
    await next(client, 'open');
    expect(servers[1]!.peers).toHaveLength(1);
  });

  it('refuses an empty list', () => {
    expect(() => testClient([])).toThrow(/at least one server/);
  });
});
