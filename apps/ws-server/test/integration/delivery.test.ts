import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { TestPeer, type Frame } from '../helpers/test-peer.js';

let server: TestServer;
const peers: TestPeer[] = [];
let n = 0;
const project = () => `dl${(n += 1)}`;

async function connect(): Promise<TestPeer> {
  const peer = await TestPeer.connect(server.url);
  peers.push(peer);
  return peer;
}

beforeAll(async () => {
  server = await startServer(inject('mongodbUri'));
});
afterAll(async () => {
  await Promise.all(peers.map((p) => p.close()));
  await server.close();
});

function seqs(frames: Frame[]): number[] {
  return frames.map((f) => f['seq'] as number);
}

describe('delivery to subscribers', () => {
  it('delivers every event of a project to its subscribers only, in seq order, once, with origin', async () => {
    const [p1, p2] = [project(), project()];
    const writerA = await connect();
    const writerB = await connect();
    const sub1a = await connect();
    const sub1b = await connect();
    const sub2 = await connect();
    await sub1a.ok('subscribe', { projectId: p1 });
    await sub1b.ok('subscribe', { projectId: p1 });
    await sub2.ok('subscribe', { projectId: p2 });

    const a = (await writerA.ok<{ workspace: Frame }>('workspace.create', { projectId: p1, name: 'A' }, 'first-create'))
      .workspace;
    const writes: Promise<Frame>[] = [];
    for (let i = 0; i < 20; i += 1) {
      const writer = i % 2 === 0 ? writerA : writerB;
      writes.push(writer.ok('workspace.update', { id: a['id'], patch: { data: { i } } }));
      if (i % 5 === 0) writes.push(writer.ok('workspace.create', { projectId: p1, name: `N${i}` }));
    }
    await Promise.all(writes);
    const total = 1 + writes.length;
    await sub1a.eventWithSeq(p1, total);
    await sub1b.eventWithSeq(p1, total);
    const expected = Array.from({ length: total }, (_, i) => i + 1);
    expect(seqs(sub1a.events(p1))).toEqual(expected);
    expect(seqs(sub1b.events(p1))).toEqual(expected);
    expect(sub1a.events(p1).map((e) => e['type'])).toEqual(sub1b.events(p1).map((e) => e['type']));
    for (const event of sub1a.events(p1)) {
      expect(event['origin']).toEqual({ sessionId: expect.any(String), requestId: expect.any(String) });
    }
    expect(sub1a.events(p1)[0]).toMatchObject({
      type: 'workspace.created',
      projectId: p1,
      seq: 1,
      data: { workspace: { id: a['id'] } },
      origin: { requestId: 'first-create' },
    });
    // The other project's subscriber got nothing of p1; writers (not subscribed) got no events.
    await sub2.ok('ping');
    expect(sub2.events()).toEqual([]);
    expect(writerA.events()).toEqual([]);
  });

  it('origin.sessionId is the writer session from its hello', async () => {
    const p = project();
    const writer = new TestPeer(server.url);
    peers.push(writer);
    const hello = await writer.next((f) => f.type === 'hello');
    const sub = await connect();
    await sub.ok('subscribe', { projectId: p });
    await writer.ok('workspace.create', { projectId: p, name: 'x' }, 'mine');
    const event = await sub.eventWithSeq(p, 1);
    expect(event['origin']).toEqual({ sessionId: (hello['data'] as Frame)['sessionId'], requestId: 'mine' });
  });

  it('stops delivering after unsubscribe and after the connection closes (no leaked subscriptions)', async () => {
    const p = project();
    const before = server.server.rooms.counts;
    const writer = await connect();
    const sub = await connect();
    const leaving = await connect();
    await sub.ok('subscribe', { projectId: p });
    await leaving.ok('subscribe', { projectId: p });
    expect(server.server.rooms.counts.subscriptions).toBe(before.subscriptions + 2);
    await writer.ok('workspace.create', { projectId: p, name: 'one' });
    await sub.eventWithSeq(p, 1);
    await leaving.eventWithSeq(p, 1);
    await sub.ok('unsubscribe', { projectId: p });
    await leaving.close();
    await writer.ok('workspace.create', { projectId: p, name: 'two' });
    await writer.ok('subscribe', { projectId: p });
    await writer.ok('workspace.create', { projectId: p, name: 'three' });
    await writer.eventWithSeq(p, 3);
    await sub.ok('ping');
    expect(seqs(sub.events(p))).toEqual([1]);
    await writer.ok('unsubscribe', { projectId: p });
    expect(server.server.rooms.counts).toEqual(before);
  });

  it('a subscriber that resubscribes with sinceSeq gets the missed events, then the ack, then live ones', async () => {
    const p = project();
    const writer = await connect();
    const sub = await connect();
    const first = await sub.ok<Frame>('subscribe', { projectId: p });
    for (let i = 0; i < 3; i += 1) await writer.ok('workspace.create', { projectId: p, name: `w${i}` });
    await sub.eventWithSeq(p, 3);
    await sub.close();
    for (let i = 3; i < 8; i += 1) await writer.ok('workspace.create', { projectId: p, name: `w${i}` });

    const back = await connect();
    const reply = back.request('subscribe', { projectId: p, sinceSeq: 3, epoch: first['epoch'] }, 'resume');
    const ack = await reply;
    expect(ack['data']).toEqual({ epoch: first['epoch'], seq: 8, replayed: 5 });
    const ackIndex = back.frames.indexOf(ack);
    expect(seqs(back.frames.slice(0, ackIndex).filter((f) => 'seq' in f))).toEqual([4, 5, 6, 7, 8]);
    await writer.ok('workspace.create', { projectId: p, name: 'live' });
    await back.eventWithSeq(p, 9);
    expect(seqs(back.events(p))).toEqual([4, 5, 6, 7, 8, 9]);
  });

  it('answers resync for a sinceSeq past the head or a different epoch', async () => {
    const p = project();
    const writer = await connect();
    await writer.ok('workspace.create', { projectId: p, name: 'x' });
    const { epoch } = await writer.ok<{ epoch: string }>('subscribe', { projectId: p });
    expect(await writer.ok('subscribe', { projectId: p, sinceSeq: 5, epoch })).toEqual({ epoch, seq: 1, resync: true });
    expect(await writer.ok('subscribe', { projectId: p, sinceSeq: 0, epoch: 'not-the-epoch' })).toEqual({
      epoch,
      seq: 1,
      resync: true,
    });
  });

  it('broadcast() reaches every open connection', async () => {
    const a = await connect();
    const b = await connect();
    server.server.broadcast({ type: 'notice', data: { text: 'maintenance at noon' } });
    expect(await a.next((f) => f.type === 'notice')).toEqual({ type: 'notice', data: { text: 'maintenance at noon' } });
    expect((await b.next((f) => f.type === 'notice'))['data']).toEqual({ text: 'maintenance at noon' });
  });
});

describe('exactly-once and concurrency over WebSocket', () => {
  it('the same mutation id sent twice (second time on a new connection) changes data once; both replies agree', async () => {
    const p = project();
    const first = await connect();
    const watcher = await connect();
    await watcher.ok('subscribe', { projectId: p });
    const r1 = await first.request('workspace.create', { projectId: p, name: 'once' }, 'same-id-1');
    await first.close();
    const second = await connect();
    const r2 = await second.request('workspace.create', { projectId: p, name: 'once' }, 'same-id-1');
    expect(r1['type']).toBe('ack');
    expect(r2).toEqual(r1);
    const list = await second.ok<{ workspaces: Frame[]; seq: number }>('workspace.list', { projectId: p });
    expect(list.workspaces).toHaveLength(1);
    expect(list.seq).toBe(1);
    await watcher.ok('ping');
    expect(seqs(watcher.events(p))).toEqual([1]);
  });

  it('a reused id with different content is refused, not applied', async () => {
    const p = project();
    const peer = await connect();
    await peer.ok('workspace.create', { projectId: p, name: 'a' }, 'reuse-1');
    expect(await peer.request('workspace.create', { projectId: p, name: 'b' }, 'reuse-1')).toMatchObject({
      code: 'INVALID_MESSAGE',
    });
    expect((await peer.ok<{ seq: number }>('workspace.list', { projectId: p })).seq).toBe(1);
  });

  it('concurrent updates with the same expectedVersion from many connections: exactly one wins', async () => {
    const p = project();
    const owner = await connect();
    const w = (await owner.ok<{ workspace: Frame }>('workspace.create', { projectId: p, name: 'hot' })).workspace;
    const racers = await Promise.all(Array.from({ length: 8 }, () => connect()));
    const replies = await Promise.all(
      racers.map((peer, i) =>
        peer.request('workspace.update', { id: w['id'], patch: { name: `r${i}` }, expectedVersion: 1 }),
      ),
    );
    expect(replies.filter((r) => r.type === 'ack')).toHaveLength(1);
    const conflicts = replies.filter((r) => r.type === 'error');
    expect(conflicts).toHaveLength(7);
    for (const c of conflicts) expect(c).toMatchObject({ code: 'CONFLICT', details: { workspace: { version: 2 } } });
  });

  it('requests of one connection take effect in the order they were sent', async () => {
    const p = project();
    const peer = await connect();
    const w = (await peer.ok<{ workspace: Frame }>('workspace.create', { projectId: p, name: 'x' })).workspace;
    const replies = await Promise.all([
      peer.request('workspace.update', { id: w['id'], patch: { name: 'y' } }),
      peer.request('workspace.delete', { id: w['id'] }),
      peer.request('workspace.create', { projectId: p, name: 'z' }),
      peer.request('workspace.list', { projectId: p }),
    ]);
    expect(replies.map((r) => r.type)).toEqual(['ack', 'ack', 'ack', 'ack']);
    const list = replies[3]!['data'] as { workspaces: Frame[]; seq: number };
    expect(list.seq).toBe(4);
    expect(list.workspaces.map((x) => x['name'])).toEqual(['z']);
  });
});
