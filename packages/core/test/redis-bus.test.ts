import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ServerEvent } from '@app/protocol';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, inject, it, vi } from 'vitest';
import { InProcessBus } from '../src/bus/in-process.js';
import { RedisBus } from '../src/bus/redis.js';
import { createCore } from '../src/core.js';
import { silentLogger, startRedis, stopRedis, testDbName } from '../src/testing.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const buses: RedisBus[] = [];
let admin: Redis | undefined;

function prefix(): string {
  return `t-${randomBytes(5).toString('hex')}`;
}

function bus(prefixValue: string, url = REDIS_URL): RedisBus {
  const created = new RedisBus({ url, prefix: prefixValue, logger: silentLogger() });
  buses.push(created);
  return created;
}

function adminClient(): Redis {
  if (admin === undefined) {
    admin = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    admin.on('error', () => {});
  }
  return admin;
}

function event(projectId: string, seq: number): ServerEvent {
  return { type: 'workspace.deleted', projectId, seq, data: { id: `w${seq}` } } as ServerEvent;
}

async function numsub(channel: string): Promise<number> {
  const reply = (await adminClient().pubsub('NUMSUB', channel)) as [string, number];
  return Number(reply[1]);
}

afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close()));
});

afterAll(async () => {
  await startRedis(); // whatever happened, leave Redis running
  admin?.disconnect();
});

describe('RedisBus', () => {
  it('carries events between nodes on one channel per project', async () => {
    const p = prefix();
    const a = bus(p);
    const b = bus(p);
    expect(await a.waitUntilConnected(5_000)).toBe(true);
    expect(await b.waitUntilConnected(5_000)).toBe(true);
    const got: ServerEvent[] = [];
    a.subscribe('proj-1', (e) => got.push(e));
    await vi.waitFor(async () => expect(await numsub(`${p}:events:proj-1`)).toBe(1));
    b.publish(event('proj-1', 1));
    b.publish(event('proj-2', 1)); // nobody listens to proj-2 on a: not delivered there
    b.publish(event('proj-1', 2));
    await vi.waitFor(() => expect(got.map((e) => e.seq)).toEqual([1, 2]));
    expect(got[0]).toEqual(event('proj-1', 1));
    expect(a.channelOf('proj-1')).toBe(`${p}:events:proj-1`);
    expect(b.stats.published).toBe(3);
  });

  it('subscribes to a channel only while the node has a listener for it (ref-counted)', async () => {
    const p = prefix();
    const a = bus(p);
    await a.waitUntilConnected(5_000);
    const channel = `${p}:events:rc`;
    expect(await numsub(channel)).toBe(0);
    const stop1 = a.subscribe('rc', () => {});
    const stop2 = a.subscribe('rc', () => {});
    await vi.waitFor(async () => expect(await numsub(channel)).toBe(1));
    expect(a.projectCount).toBe(1);
    stop1();
    stop1(); // twice is harmless
    // Still one listener: still subscribed. Prove it with a round trip on the connection.
    const seen: number[] = [];
    const stop3 = a.subscribe('rc', (e) => seen.push(e.seq));
    await adminClient().publish(channel, JSON.stringify(event('rc', 7)));
    await vi.waitFor(() => expect(seen).toEqual([7]));
    expect(await numsub(channel)).toBe(1);
    stop2();
    stop3();
    expect(a.projectCount).toBe(0);
    await vi.waitFor(async () => expect(await numsub(channel)).toBe(0));
  });

  it('ignores malformed messages and messages of another project without crashing', async () => {
    const p = prefix();
    const a = bus(p);
    await a.waitUntilConnected(5_000);
    const got: ServerEvent[] = [];
    a.subscribe('m', (e) => got.push(e));
    const channel = `${p}:events:m`;
    await vi.waitFor(async () => expect(await numsub(channel)).toBe(1));
    for (const raw of [
      'not json',
      '[]',
      'null',
      '{"type":"x"}',
      JSON.stringify(event('other', 1)),
      JSON.stringify({ ...event('m', 1), seq: -1 }),
    ]) {
      await adminClient().publish(channel, raw);
    }
    await adminClient().publish(channel, JSON.stringify(event('m', 3)));
    await vi.waitFor(() => expect(got.map((e) => e.seq)).toEqual([3]));
    expect(a.stats.malformed).toBe(6);
  });

  it('keeps delivering to other listeners when one throws', async () => {
    const p = prefix();
    const a = bus(p);
    await a.waitUntilConnected(5_000);
    const got: number[] = [];
    a.subscribe('t', () => {
      throw new Error('listener bug');
    });
    a.subscribe('t', (e) => got.push(e.seq));
    await vi.waitFor(async () => expect(await numsub(`${p}:events:t`)).toBe(1));
    bus(p).publish(event('t', 1));
    await vi.waitFor(() => expect(got).toEqual([1]));
  });

  it('drops publishes at once while Redis is unreachable (bounded memory, no throw)', async () => {
    const unreachable = bus(prefix(), 'redis://127.0.0.1:1');
    expect(await unreachable.waitUntilConnected(200)).toBe(false);
    for (let seq = 1; seq <= 20_000; seq += 1) unreachable.publish(event(`p${seq % 50}`, seq));
    expect(unreachable.stats.dropped).toBe(20_000);
    expect(unreachable.stats.published).toBe(0);
    // Nothing queued: one remembered (last dropped) event per project, nothing else.
    const publisher = (unreachable as unknown as { publisher: { offlineQueue?: { length: number } } }).publisher;
    expect(publisher.offlineQueue?.length ?? 0).toBe(0);
    expect((unreachable as unknown as { droppedLast: Map<string, ServerEvent> }).droppedLast.size).toBe(50);
  });

  it('close() quits both connections', async () => {
    const p = prefix();
    const a = bus(p);
    await a.waitUntilConnected(5_000);
    a.subscribe('c', () => {});
    const names = async (): Promise<string[]> =>
      ((await adminClient().client('LIST')) as string)
        .split('\n')
        .map((line) => /name=(\S*)/.exec(line)?.[1] ?? '')
        .filter((name) => name.startsWith(p));
    await vi.waitFor(async () => expect((await names()).sort()).toEqual([`${p}-pub`, `${p}-sub`]));
    await a.close();
    await vi.waitFor(async () => expect(await names()).toEqual([]));
    a.publish(event('c', 1)); // after close: ignored, no throw
    expect(a.stats.dropped).toBe(0);
  });

  it('survives a Redis restart: resubscribes, then tells listeners to backfill; dropped events are re-announced', async () => {
    const p = prefix();
    const a = bus(p);
    // b reconnects well after a has resubscribed, so a hears b's re-announcement. (Had b come back
    // first, a would not hear it, but a's own reconnect backfill reads the event from the log.)
    const b = new RedisBus({
      url: REDIS_URL,
      prefix: p,
      logger: silentLogger(),
      redisOptions: { retryStrategy: () => 1_500 },
    });
    buses.push(b);
    await a.waitUntilConnected(5_000);
    await b.waitUntilConnected(5_000);
    const got: number[] = [];
    a.subscribe('r', (e) => got.push(e.seq));
    let reconnects = 0;
    const stopReconnect = a.onReconnect(() => {
      reconnects += 1;
    });
    await vi.waitFor(async () => expect(await numsub(`${p}:events:r`)).toBe(1));
    b.publish(event('r', 1));
    await vi.waitFor(() => expect(got).toEqual([1]));
    try {
      await stopRedis();
      b.publish(event('r', 2)); // dropped while Redis is down...
      b.publish(event('r', 3));
      expect(b.stats.dropped).toBeGreaterThanOrEqual(2); // (3 if the reply to seq 1 was cut off by the shutdown)
      expect(a.connected).toBe(false);
    } finally {
      await startRedis();
    }
    // ...a resubscribes, then signals; b publishes the last dropped event again once it is back.
    await vi.waitFor(() => expect(reconnects).toBe(1), { timeout: 10_000 });
    expect(a.connected).toBe(true);
    expect(a.stats.reconnects).toBe(1);
    await vi.waitFor(() => expect(got).toContain(3), { timeout: 10_000 });
    expect(got).not.toContain(2); // at-most-once: seq 2 comes from the event log, not from Redis
    b.publish(event('r', 4));
    await vi.waitFor(() => expect(got.at(-1)).toBe(4));
    stopReconnect();
  });
});

describe('createCore bus selection', () => {
  const mongodbUri = inject('mongodbUri');

  it('uses Redis when redisUrl is set, the in-process bus otherwise, and registers the log reader', async () => {
    const dbName = testDbName('bus');
    const local = await createCore({ mongodbUri, dbName, logger: silentLogger() });
    try {
      expect(local.bus).toBeInstanceOf(InProcessBus);
      expect(local.busRepair.resyncIntervalMs).toBe(0);
    } finally {
      await local.close();
    }
    const remote = await createCore({
      mongodbUri,
      dbName,
      logger: silentLogger(),
      redisUrl: REDIS_URL,
      redisPrefix: prefix(),
      busResyncMs: 1234,
    });
    try {
      expect(remote.bus).toBeInstanceOf(RedisBus);
      const source = remote.busRepair;
      expect(source.resyncIntervalMs).toBe(1234);
      const projectId = 'sel';
      await remote.service.create({ projectId, name: 'A' }, { subject: 'anonymous' });
      await remote.service.create({ projectId, name: 'B' }, { subject: 'anonymous' });
      expect((await source.fetchAfter(projectId, 1)).map((e) => e.seq)).toEqual([2]);
    } finally {
      await remote.connection.dropDatabase().catch(() => {});
      await remote.close();
    }
  });

  it('does not load ioredis unless REDIS_URL is set', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'no-redis-'));
    try {
      const script = join(dir, 'probe.mjs');
      writeFileSync(
        script,
        `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`
export async function resolve(specifier, context, next) {
  if (specifier === 'ioredis' || specifier.startsWith('ioredis/')) throw new Error('ioredis was loaded');
  return next(specifier, context);
}\`));
const { createCore, createLogger } = await import(process.env.PROBE_CORE);
const logger = createLogger({ silent: true });
const base = { mongodbUri: process.env.PROBE_URI, dbName: process.env.PROBE_DB, logger };
const core = await createCore(base);
console.log('without:', core.bus.constructor.name);
await core.close();
try {
  const withRedis = await createCore({ ...base, redisUrl: 'redis://127.0.0.1:6379' });
  console.log('with:', withRedis.bus.constructor.name);
  await withRedis.close();
} catch (error) {
  console.log('with:', error.message);
}
process.exit(0);
`,
      );
      const dbName = testDbName('probe');
      const output = await new Promise<string>((resolveRun, reject) => {
        const child = spawn(process.execPath, ['--conditions=@app/source', '--import', 'tsx', script], {
          cwd: packageDir,
          env: {
            ...process.env,
            PROBE_URI: mongodbUri,
            PROBE_DB: dbName,
            PROBE_CORE: pathToFileURL(join(packageDir, 'src/index.ts')).href,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolveRun(out);
        });
        child.once('error', reject);
      });
      expect(output).toContain('without: InProcessBus');
      expect(output).toContain('with: ioredis was loaded');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);
});
