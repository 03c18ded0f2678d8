import { fromStoredEvent, type StoredEventDoc } from '@app/core';
import { createTestCore, testDbName } from '@app/core/testing';
import { afterAll, afterEach, describe, expect, inject, it, vi } from 'vitest';
import {
  expectExactlyOnceInOrder,
  Follower,
  Mutator,
  redisCli,
  startCluster,
  startRedis,
  stopRedis,
  uniquePrefix,
  type Cluster,
} from './cluster.js';

// Three ws-server processes on one database and one Redis (127.0.0.1:6379), clients spread over them.
const mongodbUri = inject('mongodbUri');
const NODES = 3;
let cluster: Cluster | undefined;
const dbNames: string[] = [];
const clients: { close(): Promise<unknown> }[] = [];

afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((client) => client.close()));
  await cluster?.stop();
  cluster = undefined;
});

afterAll(async () => {
  await startRedis(); // a test that stopped Redis leaves it running, whatever happened
  for (const dbName of dbNames) {
    const core = await createTestCore(mongodbUri, dbName);
    await core.close(); // drops the database
  }
}, 60_000);

interface Setup {
  dbName: string;
  prefix: string;
  projects: string[];
  followers: Follower[];
  mutators: Mutator[];
}

/** Starts the cluster, 3 followers per node (each on every project), and 2 mutators per node. */
async function setUp(name: string, env: Record<string, string> = {}): Promise<Setup> {
  const dbName = testDbName(name);
  dbNames.push(dbName);
  const prefix = uniquePrefix(name);
  cluster = await startCluster(NODES, { MONGODB_URI: mongodbUri, MONGODB_DB: dbName, REDIS_PREFIX: prefix, ...env });
  const urls = cluster.alive();
  const projects = [`${name}-a`, `${name}-b`, `${name}-c`];
  const followers: Follower[] = [];
  const mutators: Mutator[] = [];
  for (let node = 0; node < NODES; node += 1) {
    for (let i = 0; i < 3; i += 1) followers.push(await new Follower(projects).attach(urls[node]!));
    for (let i = 0; i < 2; i += 1) mutators.push(await new Mutator(cluster).connect(urls[node]!));
  }
  clients.push(...followers, ...mutators);
  return { dbName, prefix, projects, followers, mutators };
}

/**
 * Each mutator creates one workspace per project, then updates them round-robin (`rounds` times),
 * all mutators at once. `onProgress(acked)` runs after every ack (to trigger faults mid-traffic).
 */
async function traffic(
  setup: Setup,
  rounds: number,
  onProgress: (acked: number) => Promise<void> | void = () => {},
): Promise<number> {
  let acked = 0;
  const step = async (): Promise<void> => {
    acked += 1;
    await onProgress(acked);
  };
  await Promise.all(
    setup.mutators.map(async (mutator, m) => {
      const mine: { projectId: string; id: string }[] = [];
      for (const projectId of setup.projects) {
        const ack = await mutator.mutate(
          projectId,
          'workspace.create',
          { projectId, name: `m${m}` },
          `c-${m}-${projectId}`,
        );
        mine.push({ projectId, id: (ack['data'] as { workspace: { id: string } }).workspace.id });
        await step();
      }
      for (let round = 0; round < rounds; round += 1) {
        const target = mine[round % mine.length]!;
        await mutator.mutate(
          target.projectId,
          'workspace.update',
          { id: target.id, patch: { data: { m, round } } },
          `u-${m}-${round}`,
        );
        await step();
      }
    }),
  );
  return acked;
}

/** Each project's log: seqs 1..head with no gap; each request applied once; every acked request in it. */
async function checkLog(setup: Setup): Promise<Map<string, number>> {
  const core = await createTestCore(mongodbUri, setup.dbName);
  const heads = new Map<string, number>();
  try {
    for (const projectId of setup.projects) {
      const events = (await core.models.Event.find({ projectId }).sort({ seq: 1 }).lean<StoredEventDoc[]>().exec()).map(
        (e) => fromStoredEvent(e)!,
      );
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      const ids = events.map((e) => (e.origin as { requestId?: string } | undefined)?.requestId);
      expect(new Set(ids).size).toBe(ids.length);
      const acked = setup.mutators.flatMap((m) => m.acked.filter((a) => a.projectId === projectId).map((a) => a.id));
      expect(new Set(ids)).toEqual(new Set(acked));
      heads.set(projectId, events.length);
    }
  } finally {
    await core.connection.close(); // keep the database: afterAll drops it
  }
  return heads;
}

/** Waits until every follower has reached the head of every project, then checks exactly-once order. */
async function checkDelivery(setup: Setup, heads: Map<string, number>): Promise<void> {
  await vi.waitFor(
    () => {
      for (const follower of setup.followers) {
        for (const projectId of setup.projects)
          expect(follower.last(projectId)).toBeGreaterThanOrEqual(heads.get(projectId)!);
      }
    },
    { timeout: 30_000, interval: 50 },
  );
  for (const follower of setup.followers) {
    for (const projectId of setup.projects) expectExactlyOnceInOrder(follower, projectId, heads.get(projectId)!);
  }
}

describe.sequential('scale-out: 3 nodes, one database, one Redis', () => {
  it('delivers every event of a project to every subscriber on every node once, in seq order', async () => {
    const setup = await setUp('fan');
    // Each node subscribes to a project's channel once, however many local subscribers it has.
    for (const projectId of setup.projects) {
      expect(await subscribers(`${setup.prefix}:events:${projectId}`)).toBe(NODES);
    }
    // A project subscribed on one node only is listened to by that node only.
    const lonely = await new Follower([`${setup.projects[0]}-lonely`]).attach(cluster!.alive()[1]!);
    clients.push(lonely);
    expect(await subscribers(`${setup.prefix}:events:${setup.projects[0]}-lonely`)).toBe(1);
    await lonely.peer.ok('unsubscribe', { projectId: `${setup.projects[0]}-lonely` });
    await vi.waitFor(async () =>
      expect(await subscribers(`${setup.prefix}:events:${setup.projects[0]}-lonely`)).toBe(0),
    );

    const acked = await traffic(setup, 12);
    expect(acked).toBe(6 * (3 + 12));
    const heads = await checkLog(setup);
    expect([...heads.values()].reduce((a, b) => a + b, 0)).toBe(acked);
    expect(setup.mutators.map((m) => m.refused)).toEqual(setup.mutators.map(() => 0)); // six writers on three nodes, three projects: contention is never a refusal
    await checkDelivery(setup, heads);
  }, 180_000);

  it('SIGKILL of a node mid-traffic: its clients resume on other nodes, nothing lost or doubled', async () => {
    // No periodic check: completeness here comes from sinceSeq replay and gap repair alone.
    const setup = await setUp('kill', { BUS_RESYNC_MS: '0' });
    const victim = 2;
    const victimUrl = cluster!.alive()[victim]!;
    let killed: Promise<void> | undefined;
    // Killed once its own clients are mid-way (they must fail over): the nodes do not progress evenly,
    // since the node that stores a project's next seq first tends to store the one after it too.
    const victims = setup.mutators.filter((m) => m.peer.socket.url.startsWith(victimUrl.replace(/\/$/, '')));
    const acked = await traffic(setup, 14, () => {
      if (victims.reduce((sum, m) => sum + m.acked.length, 0) >= 12 && killed === undefined) {
        killed = (async () => {
          await cluster!.kill(victim);
          // The victim's followers notice (1006), connect to another node and resume with sinceSeq.
          const orphans = setup.followers.filter((f) =>
            f.peers.at(-1)!.socket.url.startsWith(victimUrl.replace(/\/$/, '')),
          );
          expect(orphans.length).toBe(3);
          await Promise.all(
            orphans.map(async (follower, i) => {
              await follower.peer.closed;
              const alive = cluster!.alive();
              await follower.attach(alive[i % alive.length]!);
            }),
          );
        })();
      }
    });
    await killed;
    expect(acked).toBe(6 * (3 + 14));
    expect(setup.mutators.filter((m) => m.failovers > 0).length).toBe(2);
    const heads = await checkLog(setup);
    expect(setup.mutators.map((m) => m.refused)).toEqual(setup.mutators.map(() => 0)); // six writers on three nodes, three projects: contention is never a refusal
    await checkDelivery(setup, heads);
    expect(setup.followers.filter((f) => f.peers.length === 2).length).toBe(3);
  }, 180_000);

  it('Redis restart mid-traffic: every node backfills what the bus lost, nothing lost or doubled', async () => {
    // No periodic check: completeness comes from resubscribe + backfill, re-announced drops and gap repair.
    const setup = await setUp('redis', { BUS_RESYNC_MS: '0' });
    let outage: Promise<void> | undefined;
    let ackedWhileDown = 0;
    let down = false;
    try {
      const acked = await traffic(setup, 16, async (n) => {
        if (down) ackedWhileDown += 1;
        if (n === 30 && outage === undefined) {
          outage = (async () => {
            await stopRedis();
            down = true;
            // Writes go on (acked, stored) while no node can publish or hear anything.
            await vi.waitFor(() => expect(ackedWhileDown).toBeGreaterThanOrEqual(15), {
              timeout: 30_000,
              interval: 10,
            });
            down = false;
            await startRedis();
          })();
        }
      });
      await outage;
      expect(acked).toBe(6 * (3 + 16));
    } finally {
      await startRedis();
    }
    expect(ackedWhileDown).toBeGreaterThanOrEqual(15);
    const heads = await checkLog(setup);
    await checkDelivery(setup, heads);
    // Every node noticed and resubscribed.
    for (const node of cluster!.nodes) {
      await vi.waitFor(() => expect(node.output.join('\n')).toMatch(/Redis bus subscriber reconnected/));
    }
  }, 180_000);

  it('Redis down for good: writes are acked and every event still reaches every node (periodic check)', async () => {
    const setup = await setUp('down', { BUS_RESYNC_MS: '300' });
    try {
      await stopRedis();
      const acked = await traffic(setup, 3);
      expect(acked).toBe(6 * (3 + 3));
      const heads = await checkLog(setup);
      await checkDelivery(setup, heads); // while Redis is still down
      for (const node of cluster!.nodes) expect(node.output.join('\n')).toMatch(/Redis bus publish failed/);
    } finally {
      await startRedis();
    }
  }, 180_000);
});

/** How many Redis connections subscribe to a channel (one per node listening to the project). */
async function subscribers(channel: string): Promise<number> {
  return Number((await redisCli('PUBSUB', 'NUMSUB', channel)).split('\n')[1]);
}
