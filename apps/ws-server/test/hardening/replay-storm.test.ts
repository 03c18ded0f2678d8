import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { TestPeer } from '../helpers/test-peer.js';

// The scale is 100 replays of 10,000 events (REPLAY_STORM_REPLAYERS=100 REPLAY_STORM_EVENTS=10000):
// a million primary-key reads, minutes on the embedded database. The suite runs the same path with
// 20 x 3,000: past the 1,024 recent events the event tail keeps, so most are read from the log.
const EVENTS = Number(process.env['REPLAY_STORM_EVENTS'] ?? 3_000);
const REPLAYERS = Number(process.env['REPLAY_STORM_REPLAYERS'] ?? 20);
const WRITES = 20;

let server: TestServer;

beforeAll(async () => {
  server = await startServer(inject('mongodbUri'));
});
afterAll(async () => {
  await server.close();
});

/** A bare subscriber that keeps only the seqs it receives (100 of them must not hold a million frames). */
class Replayer {
  readonly socket: WebSocket;
  readonly seqs: number[] = [];
  ack: Record<string, unknown> | undefined;
  closeCode: number | undefined;
  private onAck: ((data: Record<string, unknown>) => void) | undefined;

  constructor(
    url: string,
    private readonly progress: { events: number },
  ) {
    this.socket = new WebSocket(url);
    this.socket.on('error', () => {});
    this.socket.on('close', (code) => (this.closeCode = code));
    this.socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { type: string; seq?: number; data?: Record<string, unknown> };
      if (typeof frame.seq === 'number') {
        this.seqs.push(frame.seq);
        this.progress.events += 1;
      } else if (frame.type === 'ack' || frame.type === 'error') {
        this.ack = frame.type === 'ack' ? frame.data : { error: frame };
        this.onAck?.(this.ack!);
      }
    });
  }

  opened(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
    });
  }

  subscribe(projectId: string, sinceSeq: number, epoch: string): Promise<Record<string, unknown>> {
    const acked = new Promise<Record<string, unknown>>((resolve) => (this.onAck = resolve));
    this.socket.send(JSON.stringify({ type: 'subscribe', id: 's', data: { projectId, sinceSeq, epoch } }));
    return acked;
  }
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('replay outside the write lock', () => {
  it(`${REPLAYERS} concurrent replays of ${EVENTS} events do not stall the project's writer, and miss or repeat nothing`, async () => {
    const p = 'storm';
    const ctx = { subject: 'seed' };
    const { workspace } = await server.core.service.create({ projectId: p, name: 'w' }, ctx);
    for (let done = 1; done < EVENTS;) {
      const n = Math.min(256, EVENTS - done);
      await Promise.all(
        Array.from({ length: n }, (_, i) =>
          server.core.service.update({ id: workspace.id, patch: { data: { i: done + i } } }, ctx),
        ),
      );
      done += n;
    }
    const writer = await TestPeer.connect(server.url);
    const { epoch, seq: head } = await writer.ok<{ epoch: string; seq: number }>('subscribe', { projectId: p });
    expect(head).toBe(EVENTS);

    const progress = { events: 0 };
    const total = REPLAYERS * EVENTS;
    const replayers = Array.from({ length: REPLAYERS }, () => new Replayer(server.url, progress));
    await Promise.all(replayers.map((r) => r.opened()));
    const acks = Promise.all(replayers.map((r) => r.subscribe(p, 0, epoch)));
    // The writer writes while the replays run; for each ack, how far the replays had got.
    const progressAtAck: number[] = [];
    for (let i = 0; i < WRITES; i += 1) {
      await writer.ok('workspace.update', { id: workspace.id, patch: { name: `live ${i}` } });
      progressAtAck.push(progress.events);
    }
    const replies = await acks;
    // The acks came while the replays were under way, not after them (when the replays held the
    // project's queue, the first ack came only once every replay had been read).
    console.log(`replay progress at each of the writer's acks (of ${total}): ${progressAtAck.join(' ')}`);
    expect(progressAtAck.filter((seen) => seen < total).length).toBeGreaterThanOrEqual(WRITES / 2);
    for (const reply of replies) {
      expect(reply['replayed']).toBe(reply['seq']);
      expect(reply['seq']).toBeGreaterThanOrEqual(EVENTS);
    }
    // Every replayer: the replay then the live events, each seq once and in order, nothing missing.
    const last = EVENTS + WRITES;
    await vi.waitFor(
      () => {
        for (const r of replayers) expect(r.seqs.length).toBe(last);
      },
      { timeout: 60_000 },
    );
    for (const r of replayers) {
      expect(r.seqs).toEqual(range(1, last));
      expect(r.closeCode).toBeUndefined();
    }
    await Promise.all(
      replayers.map(
        (r) =>
          new Promise<void>((resolve) => {
            r.socket.once('close', () => resolve());
            r.socket.close();
          }),
      ),
    );
    await writer.close();
  }, 300_000);
});
