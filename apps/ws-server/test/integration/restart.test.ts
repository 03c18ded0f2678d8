import { createTestCore, testDbName } from '@app/core/testing';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { spawnServer, type ServerProcess } from '../helpers/spawn-server.js';
import { TestPeer, type Frame } from '../helpers/test-peer.js';

const mongodbUri = inject('mongodbUri');
const dbName = testDbName('restart');
const children: ServerProcess[] = [];

async function start(env: Record<string, string> = {}): Promise<ServerProcess> {
  const server = await spawnServer({ MONGODB_URI: mongodbUri, MONGODB_DB: dbName, ...env });
  children.push(server);
  return server;
}

afterAll(async () => {
  await Promise.all(children.map((c) => c.kill()));
  await (await createTestCore(mongodbUri, dbName)).close();
});

describe('server restarts', () => {
  it('replays exactly the missed events after a restart (events are stored, not in memory)', async () => {
    const p = 'restart-replay';
    const first = await start();
    const writer = await TestPeer.connect(first.url);
    const sub = await TestPeer.connect(first.url);
    const { epoch } = await sub.ok<{ epoch: string }>('subscribe', { projectId: p });
    for (let i = 0; i < 4; i += 1) await writer.ok('workspace.create', { projectId: p, name: `a${i}` });
    await sub.eventWithSeq(p, 4);
    await sub.close();
    for (let i = 0; i < 6; i += 1) await writer.ok('workspace.create', { projectId: p, name: `b${i}` });
    first.child.kill('SIGTERM');
    expect((await writer.closed).code).toBe(1001);
    expect(await first.exited).toEqual({ code: 0, signal: null });

    const second = await start();
    const back = await TestPeer.connect(second.url);
    const ack = await back.ok<Frame>('subscribe', { projectId: p, sinceSeq: 4, epoch });
    expect(ack).toEqual({ epoch, seq: 10, replayed: 6 });
    expect(back.events(p).map((e) => e['seq'])).toEqual([5, 6, 7, 8, 9, 10]);
    expect(back.events(p).map((e) => (e['data'] as { workspace: Frame }).workspace['name'])).toEqual([
      'b0',
      'b1',
      'b2',
      'b3',
      'b4',
      'b5',
    ]);
    await back.close();
    second.child.kill('SIGTERM');
    await second.exited;
  }, 60_000);

  it('SIGTERM: answers requests already received, closes clients with 1001, exits 0, keeps acked writes', async () => {
    const p = 'restart-term';
    const server = await start();
    const peer = await TestPeer.connect(server.url);
    const w = (await peer.ok<{ workspace: Frame }>('workspace.create', { projectId: p, name: 'x' })).workspace;
    const replies = Array.from({ length: 30 }, (_, i) =>
      peer.request('workspace.update', { id: w['id'], patch: { data: { i } } }, `t${i}`),
    );
    const firstReply = await replies[0]!;
    expect(firstReply.type).toBe('ack');
    server.child.kill('SIGTERM');
    const answered = await Promise.all(replies.map((r) => Promise.race([r, peer.closed.then(() => undefined)])));
    const closed = await peer.closed;
    expect(closed.code).toBe(1001);
    expect(await server.exited).toEqual({ code: 0, signal: null });
    // Every request the server had read got its reply before the close; none was left hanging.
    const acked = answered.filter((r): r is Frame => r?.type === 'ack');
    for (const r of answered) if (r !== undefined) expect(['ack', 'error']).toContain(r.type);
    expect(answered.every((r) => r !== undefined)).toBe(true);
    const lastAcked = Math.max(...acked.map((r) => (r['data'] as { workspace: Frame }).workspace['version'] as number));

    const again = await start();
    const check = await TestPeer.connect(again.url);
    const list = await check.ok<{ workspaces: Frame[] }>('workspace.list', { projectId: p });
    expect(list.workspaces[0]!['version']).toBeGreaterThanOrEqual(lastAcked);
    expect(again.output.some((line) => /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] info: /.test(line))).toBe(true);
    await check.close();
    again.child.kill('SIGTERM');
    await again.exited;
  }, 60_000);

  it('refuses to start with a bad setting, naming the variable', async () => {
    await expect(start({ HEARTBEAT_MS: 'soon' })).rejects.toThrow(/HEARTBEAT_MS/);
    await expect(start({ WS_PORT: '70000' })).rejects.toThrow(/WS_PORT/);
  }, 30_000);
});
