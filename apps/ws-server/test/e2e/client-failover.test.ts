import { randomBytes } from 'node:crypto';
import { createClient, type Client, type ServerEvent } from '@app/client';
import { createTestCore, testDbName } from '@app/core/testing';
import WebSocket from 'ws';
import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import { spawnServer, type ServerProcess } from '../helpers/spawn-server.js';

const mongodbUri = inject('mongodbUri');
const dbName = testDbName('failover');
const nodes: ServerProcess[] = [];
const clients: Client[] = [];

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(nodes.map((node) => node.kill()));
  await (await createTestCore(mongodbUri, dbName)).close();
});

describe('@app/client with several server URLs (Redis bus between nodes)', () => {
  it('fails over when its node is killed and resumes with nothing lost or doubled', async () => {
    const env = {
      MONGODB_URI: mongodbUri,
      MONGODB_DB: dbName,
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_PREFIX: `t${randomBytes(4).toString('hex')}`,
    };
    nodes.push(await spawnServer(env), await spawnServer(env));
    const [a, b] = nodes as [ServerProcess, ServerProcess];
    const reader = createClient({ url: [a.url, b.url], WebSocket, reconnect: { baseDelayMs: 20, maxDelayMs: 200 } });
    const writer = createClient({ url: b.url, WebSocket });
    clients.push(reader, writer);
    const seqs: number[] = [];
    let snapshots = 0;
    reader.subscribe('failover', {
      onSnapshot: () => {
        snapshots += 1;
      },
      onEvent: (event: ServerEvent) => seqs.push(event.seq),
    });
    await vi.waitFor(() => expect(snapshots).toBe(1));
    for (let i = 0; i < 10; i += 1) await writer.createWorkspace({ projectId: 'failover', name: `before ${i}` });
    await vi.waitFor(() => expect(seqs).toHaveLength(10));
    a.child.kill('SIGKILL'); // the reader's node
    await a.exited;
    for (let i = 0; i < 10; i += 1) await writer.createWorkspace({ projectId: 'failover', name: `after ${i}` });
    await vi.waitFor(() => expect(seqs).toHaveLength(20), { timeout: 30_000 });
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(snapshots).toBe(1);
    expect(reader.hello?.sessionId).toBeDefined();
  }, 90_000);
});
