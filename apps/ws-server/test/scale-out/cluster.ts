import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { spawnServer, type ServerProcess } from '../helpers/spawn-server.js';
import { TestPeer, type Frame } from '../helpers/test-peer.js';

export const REDIS_URL = 'redis://127.0.0.1:6379';

/** A channel prefix no other test (or deployment) uses, so tests never need FLUSHALL. */
export function uniquePrefix(name: string): string {
  return `t-${name}-${randomBytes(4).toString('hex')}`;
}

export { redisCli, redisUp, startRedis, stopRedis } from '@app/core/testing';

export interface Cluster {
  nodes: ServerProcess[];
  /** URLs of the nodes not killed. */
  alive(): string[];
  kill(index: number): Promise<void>;
  stop(): Promise<void>;
}

/** N ws-server processes on one database and one Redis, each on its own loopback port. */
export async function startCluster(n: number, env: Record<string, string>): Promise<Cluster> {
  const dead = new Set<number>();
  const started = await Promise.allSettled(
    Array.from({ length: n }, () =>
      spawnServer({ AUTH_MODE: 'none', RATE_LIMIT_PER_SEC: '100000', RATE_LIMIT_BURST: '100000', REDIS_URL, ...env }),
    ),
  );
  const nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = started.find((result) => result.status === 'rejected');
  if (failed !== undefined) {
    await Promise.all(nodes.map((node) => node.kill()));
    throw (failed as PromiseRejectedResult).reason;
  }
  return {
    nodes,
    alive: () => nodes.filter((_, i) => !dead.has(i)).map((node) => node.url),
    async kill(index) {
      dead.add(index);
      await nodes[index]!.kill();
    },
    async stop() {
      await Promise.all(nodes.map((node) => node.kill()));
    },
  };
}

const RETRYABLE = new Set(['UNAVAILABLE', 'RATE_LIMITED']);

/** A client that sends mutations and, when its node dies, retries them (same id) on another node. */
export class Mutator {
  peer!: TestPeer;
  private url = '';
  readonly acked: { id: string; projectId: string }[] = [];
  failovers = 0;
  /** Retryable refusals (`UNAVAILABLE`, `RATE_LIMITED`) answered to this client's requests. */
  refused = 0;

  constructor(private readonly cluster: Cluster) {}

  async connect(url: string): Promise<this> {
    this.url = url;
    this.peer = await TestPeer.connect(url);
    return this;
  }

  /** Sends until acked; a lost connection moves to the next live node and resends the same id. */
  async mutate(projectId: string, type: string, data: unknown, id: string): Promise<Frame> {
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const peer = this.peer;
      const reply = await Promise.race([peer.request(type, data, id), peer.closed.then(() => undefined)]);
      if (reply?.type === 'ack') {
        this.acked.push({ id, projectId });
        return reply;
      }
      if (reply !== undefined && !RETRYABLE.has(String(reply['code'])))
        throw new Error(`${type} ${id} failed: ${JSON.stringify(reply)}`);
      if (reply !== undefined) this.refused += 1;
      if (reply === undefined || peer.socket.readyState !== peer.socket.OPEN) await this.failover();
      else await new Promise((resolve) => setTimeout(resolve, 10 * (attempt + 1))); // retryable refusal: back off briefly
    }
    throw new Error(`${type} ${id}: no ack after 20 attempts`);
  }

  private async failover(): Promise<void> {
    this.failovers += 1;
    const others = this.cluster.alive().filter((url) => url !== this.url);
    const next = others[this.failovers % Math.max(others.length, 1)] ?? this.cluster.alive()[0]!;
    await this.connect(next);
  }

  close(): Promise<unknown> {
    return this.peer.close();
  }
}

/**
 * A subscriber of some projects over a raw peer. Its first subscribe takes a snapshot; after its node
 * dies it connects to another node and resumes each project with `subscribe {sinceSeq, epoch}`.
 */
export class Follower {
  readonly peers: TestPeer[] = [];
  readonly base = new Map<string, number>();
  readonly epochs = new Map<string, string>();

  constructor(readonly projects: string[]) {}

  get peer(): TestPeer {
    return this.peers.at(-1)!;
  }

  /** Event seqs of a project received over every connection so far, in arrival order. */
  seqs(projectId: string): number[] {
    return this.peers.flatMap((peer) => peer.events(projectId).map((frame) => frame['seq'] as number));
  }

  last(projectId: string): number {
    return this.seqs(projectId).at(-1) ?? this.base.get(projectId)!;
  }

  async attach(url: string): Promise<this> {
    const resuming = this.peers.length > 0;
    const peer = await TestPeer.connect(url);
    this.peers.push(peer);
    for (const projectId of this.projects) {
      if (!resuming) {
        const ack = await peer.ok<{ epoch: string; seq: number }>('subscribe', { projectId });
        this.base.set(projectId, ack.seq);
        this.epochs.set(projectId, ack.epoch);
      } else {
        const sinceSeq = this.last(projectId);
        const ack = await peer.ok<{ epoch: string; seq: number; resync?: boolean }>('subscribe', {
          projectId,
          sinceSeq,
          epoch: this.epochs.get(projectId),
        });
        expect(ack.resync).toBeUndefined();
        expect(ack.epoch).toBe(this.epochs.get(projectId));
      }
    }
    return this;
  }

  close(): Promise<unknown> {
    return Promise.all(this.peers.map((peer) => peer.close()));
  }
}

/** Every event of the project after the follower's snapshot, once each, in seq order. */
export function expectExactlyOnceInOrder(follower: Follower, projectId: string, head: number): void {
  const from = follower.base.get(projectId)!;
  const expected = Array.from({ length: head - from }, (_, i) => from + 1 + i);
  expect(follower.seqs(projectId)).toEqual(expected);
}
