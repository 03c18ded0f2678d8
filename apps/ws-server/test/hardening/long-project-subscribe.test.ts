import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { seedProject, type SeededProject } from '../helpers/seed-project.js';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { TestPeer } from '../helpers/test-peer.js';

// A project far past the 10,000 events a subscription may be behind (`maxPendingEvents`), written to
// every 20 ms while clients subscribe with a snapshot, 500 events behind, and exactly 10,000 behind
// (the longest replay the protocol allows): every subscribe is acked, no connection is closed, and
// each client sees every seq after its starting point once, in order. (A subscription used to count
// from seq 0 until its reply was ready, so the first live event closed it "slow consumer" 1013.)

const HISTORY = 12_000;
const PER_GROUP = 4;
const MAX_REPLAY = 10_000;

let server: TestServer;
let project: SeededProject;

beforeAll(async () => {
  server = await startServer(inject('mongodbUri'));
  project = await seedProject(server.core, 'long-lived', HISTORY);
}, 120_000);
afterAll(async () => {
  await server.close();
});

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('subscribing to a long-lived project that is being written', () => {
  it(`snapshot and replay subscribes (500 and ${MAX_REPLAY} behind) past ${HISTORY} events are acked, stay open and miss nothing`, async () => {
    const { projectId, workspaceId } = project;
    const writer = await TestPeer.connect(server.url);
    const { epoch, seq: head } = await writer.ok<{ epoch: string; seq: number }>('subscribe', { projectId });
    expect(head).toBe(HISTORY);

    const peers = await Promise.all(Array.from({ length: 3 * PER_GROUP }, () => TestPeer.connect(server.url)));
    const groups = peers.map((_, i) => (['snapshot', 500, MAX_REPLAY] as const)[i % 3]!);
    const closes: { code: number; reason: string }[] = [];
    for (const peer of peers) void peer.closed.then((close) => closes.push(close));

    // The writer writes every 20 ms from the moment the subscribes are sent until they are all acked, and a little after.
    let writing = true;
    let lastAck = head;
    const writes = (async () => {
      for (let i = 0; writing; i += 1) {
        const ack = await writer.ok<{ workspace: { version: number } }>('workspace.update', {
          id: workspaceId,
          patch: { name: `live ${i}` },
        });
        lastAck = Math.max(lastAck, ack.workspace.version); // one workspace, written by every event: its version is the seq
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const subscribes = Promise.all(
      peers.map((peer, i) => {
        const group = groups[i]!;
        const acked = peer.ok<{ seq: number; replayed?: number; resync?: boolean }>(
          'subscribe',
          group === 'snapshot' ? { projectId } : { projectId, sinceSeq: head - group, epoch },
        );
        const closed = peer.closed.then(({ code, reason }) => {
          throw new Error(`${group} subscriber closed ${code} "${reason}" before its ack`);
        });
        closed.catch(() => {}); // after the ack, a close is the test's own
        return Promise.race([acked, closed]);
      }),
    );
    let ackedWhileWriting = head;
    void subscribes.then(() => (ackedWhileWriting = lastAck));
    const acks = await subscribes.finally(async () => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      writing = false;
      await writes;
    });
    expect(lastAck).toBeGreaterThan(head); // writes landed meanwhile
    const final = lastAck;

    for (const [i, ack] of acks.entries()) {
      expect(ack.resync).toBeUndefined();
      if (groups[i] !== 'snapshot') expect(ack.replayed).toBe(ack.seq - (head - (groups[i] as number)));
    }
    await vi.waitFor(
      () => {
        for (const peer of peers) expect(peer.events(projectId).at(-1)?.['seq']).toBe(final);
      },
      { timeout: 60_000 },
    );
    expect(closes).toEqual([]);
    for (const [i, peer] of peers.entries()) {
      const group = groups[i]!;
      const start = group === 'snapshot' ? acks[i]!.seq : head - group;
      expect(peer.events(projectId).map((f) => f['seq'])).toEqual(range(start + 1, final));
    }
    console.log(
      `head ${head}, ${final - head} writes, ${ackedWhileWriting - head} of them before the last subscribe ack`,
    );
    await Promise.all([...peers, writer].map((peer) => peer.close()));
  }, 300_000);
});
