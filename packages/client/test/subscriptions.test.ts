import { afterEach, describe, expect, it } from 'vitest';
import type { Client } from '../src/index.js';
import { next, recordSubscription, testClient } from './helpers/client.js';
import { created, startStubServer, workspace, type StubPeer, type StubServer } from './helpers/stub-server.js';

let server: StubServer;
let client: Client;
afterEach(async () => {
  await client?.close();
  await server?.close();
});

async function setUp() {
  server = await startStubServer();
  client = testClient(server.url);
  const sub = recordSubscription(client, 'p1');
  const peer = await server.peer(0);
  return { sub, peer };
}

/** Answers the next subscribe with a snapshot at `seq`. */
async function snapshot(peer: StubPeer, seq: number, ids: string[] = [], epoch = 'e1') {
  const frame = await peer.take('subscribe');
  peer.ack(frame.id, { epoch, seq, snapshot: ids.map((id, i) => workspace(id, 'p1', i)) });
  return frame;
}

/** Round trip a ping: every frame the server sent before it has been handled by then. */
async function flush(peer: StubPeer) {
  const ping = client.ping();
  peer.send({ type: 'pong', id: (await peer.take('ping')).id, data: { ts: '2026-01-01T00:00:00.000Z' } });
  await ping;
}

describe('subscribe', () => {
  it('delivers the snapshot, then each event once and in order', async () => {
    const { sub, peer } = await setUp();
    const applied: number[] = [];
    client.on('event', (event) => applied.push(event.seq));
    expect((await snapshot(peer, 2, ['w1', 'w2'])).data).toEqual({ projectId: 'p1' });
    for (const seq of [2, 3, 3, 1, 4]) peer.send(created(seq, `w${seq}`));
    await sub.wait('event:4');
    await flush(peer);
    expect(sub.log).toEqual(['snapshot:w1,w2@2', 'event:3', 'event:4']);
    expect(applied).toEqual([3, 4]);
    expect(peer.received.map((f) => f.type)).toEqual(['subscribe', 'ping']); // duplicates are no gap
  });

  it('holds events that arrive before the snapshot and applies the newer ones after it', async () => {
    const { sub, peer } = await setUp();
    const frame = await peer.take('subscribe');
    peer.send(created(5, 'w5'));
    peer.send(created(6, 'w6'));
    peer.ack(frame.id, { epoch: 'e1', seq: 5, snapshot: [workspace('w5')] });
    await sub.wait('event:6');
    expect(sub.log).toEqual(['snapshot:w5@5', 'event:6']);
  });

  it('repairs a seq gap by resubscribing with sinceSeq and epoch', async () => {
    const { sub, peer } = await setUp();
    await snapshot(peer, 2);
    peer.send(created(3, 'w3'));
    peer.send(created(5, 'w5'));
    const repair = await peer.take('subscribe');
    expect(repair.data).toEqual({ projectId: 'p1', sinceSeq: 3, epoch: 'e1' });
    peer.send(created(4, 'w4'));
    peer.send(created(5, 'w5'));
    peer.ack(repair.id, { epoch: 'e1', seq: 5, replayed: 2 });
    peer.send(created(6, 'w6'));
    await sub.wait('event:6');
    expect(sub.log).toEqual(['snapshot:@2', 'event:3', 'event:4', 'event:5', 'event:6']);
  });

  it('asks again when a replay ends short of the server seq', async () => {
    const { sub, peer } = await setUp();
    await snapshot(peer, 2);
    await peer.drop();
    const second = await server.peer(1);
    const resume = await second.take('subscribe');
    second.ack(resume.id, { epoch: 'e1', seq: 4, replayed: 0 }); // claims seq 4 but replayed nothing
    const again = await second.take('subscribe');
    expect(again.data).toEqual({ projectId: 'p1', sinceSeq: 2, epoch: 'e1' });
    second.send(created(3, 'w3'));
    second.send(created(4, 'w4'));
    second.ack(again.id, { epoch: 'e1', seq: 4, replayed: 2 });
    await sub.wait('event:4');
    expect(sub.log).toEqual(['snapshot:@2', 'event:3', 'event:4']);
  });

  it('replays events a snapshot is older than, to subscribers that had already applied them', async () => {
    const { sub, peer } = await setUp();
    await snapshot(peer, 3, ['w1']);
    await sub.wait('snapshot:w1@3');
    const late = recordSubscription(client, 'p1');
    const frame = await peer.take('subscribe');
    peer.send(created(4, 'w4')); // committed after the snapshot was read, sent before its ack
    peer.ack(frame.id, { epoch: 'e1', seq: 3, snapshot: [workspace('w1')] });
    const resume = await peer.take('subscribe');
    expect(resume.data).toEqual({ projectId: 'p1', sinceSeq: 3, epoch: 'e1' });
    peer.send(created(4, 'w4'));
    peer.ack(resume.id, { epoch: 'e1', seq: 4, replayed: 1 });
    await late.wait('event:4');
    expect(sub.log).toEqual(['snapshot:w1@3', 'event:4', 'snapshot:w1@3', 'event:4']);
    expect(late.log).toEqual(['snapshot:w1@3', 'event:4']);
  });

  it('resumes after a reconnect with sinceSeq = last applied seq, before resending mutations', async () => {
    const { sub, peer } = await setUp();
    await snapshot(peer, 2);
    peer.send(created(3, 'w3'));
    await sub.wait('event:3');
    const reply = client.deleteWorkspace({ id: 'w3' });
    const mutation = await peer.take('workspace.delete');
    await peer.drop();
    const second = await server.peer(1);
    const resume = await second.take();
    expect(resume).toMatchObject({ type: 'subscribe', data: { projectId: 'p1', sinceSeq: 3, epoch: 'e1' } });
    expect(await second.take()).toEqual(mutation);
    second.send(created(4, 'w4'));
    second.ack(resume.id, { epoch: 'e1', seq: 4, replayed: 1 });
    second.ack(mutation.id, { id: 'w3' });
    await reply;
    await sub.wait('event:4');
    expect(sub.log).toEqual(['snapshot:@2', 'event:3', 'event:4']);
  });

  it('on resync tells the app, reloads the snapshot and goes on from it', async () => {
    const { sub, peer } = await setUp();
    await snapshot(peer, 2);
    await peer.drop();
    const second = await server.peer(1);
    const resume = await second.take('subscribe');
    expect(resume.data).toEqual({ projectId: 'p1', sinceSeq: 2, epoch: 'e1' });
    second.send(created(9, 'w9')); // a live event before the reload: held, then dropped as older than the snapshot
    second.ack(resume.id, { epoch: 'e2', seq: 10, resync: true });
    const reload = await snapshot(second, 10, ['w9'], 'e2');
    expect(reload.data).toEqual({ projectId: 'p1' });
    second.send(created(11, 'w11'));
    await sub.wait('event:11');
    expect(sub.log).toEqual(['snapshot:@2', 'resync', 'snapshot:w9@10', 'event:11']);
    await second.drop();
    expect((await (await server.peer(2)).take('subscribe')).data).toEqual({
      projectId: 'p1',
      sinceSeq: 11,
      epoch: 'e2',
    });
  });

  it('resubscribes every project after a reconnect', async () => {
    const { peer } = await setUp();
    recordSubscription(client, 'p2');
    const first = await peer.take('subscribe');
    const secondSub = await peer.take('subscribe');
    peer.ack(first.id, { epoch: 'e1', seq: 1, snapshot: [] });
    peer.ack(secondSub.id, { epoch: 'e7', seq: 7, snapshot: [] });
    await flush(peer);
    await peer.drop();
    const next = await server.peer(1);
    const frames = [await next.take('subscribe'), await next.take('subscribe')];
    expect(frames.map((f) => f.data)).toEqual([
      { projectId: 'p1', sinceSeq: 1, epoch: 'e1' },
      { projectId: 'p2', sinceSeq: 7, epoch: 'e7' },
    ]);
  });

  it('unsubscribes: sends unsubscribe and stops delivering events', async () => {
    const { sub, peer } = await setUp();
    await snapshot(peer, 0);
    await sub.wait('snapshot:@0');
    sub.unsubscribe();
    sub.unsubscribe(); // idempotent
    expect((await peer.take('unsubscribe')).data).toEqual({ projectId: 'p1' });
    peer.send(created(1, 'w1'));
    await flush(peer);
    expect(sub.log).toEqual(['snapshot:@0']);
    await peer.drop();
    const second = await server.peer(1);
    await flush(second);
    expect(second.received.map((f) => f.type)).toEqual(['ping']);
  });

  it('ends the subscription on a non-retryable error such as FORBIDDEN', async () => {
    const { sub, peer } = await setUp();
    peer.error((await peer.take('subscribe')).id, 'FORBIDDEN', 'No access to p1');
    await sub.wait('error:FORBIDDEN');
    await flush(peer);
    expect(peer.received.map((f) => f.type)).toEqual(['subscribe', 'ping']);
  });

  it('retries a subscribe that failed with a retryable error such as UNAVAILABLE', async () => {
    const { sub, peer } = await setUp();
    peer.error((await peer.take('subscribe')).id, 'UNAVAILABLE', 'Storage unreachable');
    await sub.wait('error:UNAVAILABLE');
    await snapshot(peer, 3, ['w1']);
    await sub.wait('snapshot:w1@3');
  });

  it('gives a second subscriber of the same project its own snapshot, without repeating it to the first', async () => {
    const { sub, peer } = await setUp();
    await snapshot(peer, 2, ['w1']);
    peer.send(created(3, 'w3'));
    await sub.wait('event:3');
    const late = recordSubscription(client, 'p1');
    const frame = await peer.take('subscribe');
    expect(frame.data).toEqual({ projectId: 'p1' });
    peer.ack(frame.id, { epoch: 'e1', seq: 3, snapshot: [workspace('w1'), workspace('w3', 'p1', 1)] });
    peer.send(created(4, 'w4'));
    await late.wait('event:4');
    await sub.wait('event:4');
    expect(sub.log).toEqual(['snapshot:w1@2', 'event:3', 'event:4']);
    expect(late.log).toEqual(['snapshot:w1,w3@3', 'event:4']);
    late.unsubscribe();
    await flush(peer);
    expect(peer.received.map((f) => f.type)).not.toContain('unsubscribe'); // p1 still has a subscriber
  });

  it('subscribes while offline once connected', async () => {
    server = await startStubServer({ hello: false });
    client = testClient(server.url);
    const sub = recordSubscription(client, 'p1');
    const peer = await server.peer(0);
    peer.hello();
    await next(client, 'open');
    await snapshot(peer, 0);
    await sub.wait('snapshot:@0');
  });
});
