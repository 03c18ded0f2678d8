import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type Client, type ServerEvent } from '@app/client';
import { createTestCore, runTsMain, startRedis, testDbName, type RunningProcess } from '@app/core/testing';
import { startProviderSim, type ProviderSim, type RunwaySimStats } from '@app/provider-sim';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
// @ts-expect-error plain ES module without types
import { freePort } from '../../../scripts/embedded-db.mjs';
import { SIM_KEY, statusesOf, videoEnv } from './helpers/video-stack.js';

// `pnpm start`'s server (apps/server/src/main.ts) as child processes: killed with SIGKILL mid-job and
// restarted, and two of them on one Redis. The simulator counts the provider tasks created.

const appDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const videoDir = resolve(appDir, '../../packages/video');
const mongodbUri = inject('mongodbUri');
const dbName = testDbName('video-nodes');
let sim: ProviderSim;
let storageDir: string;
const processes: RunningProcess[] = [];
const clients: Client[] = [];

beforeAll(async () => {
  sim = await startProviderSim({ runway: { stepMs: 150, runningSteps: 4, apiKey: SIM_KEY } });
  storageDir = await mkdtemp(join(tmpdir(), 'videos-'));
  await startRedis(); // a test elsewhere that stopped Redis leaves it running, whatever happened
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  for (const run of processes) {
    if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
    await run.exited;
  }
  await sim?.close();
  await (await createTestCore(mongodbUri, dbName)).close();
  await rm(storageDir, { recursive: true, force: true });
});

function nodeEnv(wsPort: number, extra: Record<string, string>): Record<string, string | undefined> {
  return {
    ...process.env,
    ...videoEnv(sim, storageDir),
    MONGODB_URI: mongodbUri,
    MONGODB_DB: dbName,
    HOST: '127.0.0.1',
    PORT: '0',
    WS_PORT: String(wsPort),
    AUTH_MODE: 'none',
    LOG_FORMAT: 'pretty',
    LOG_LEVEL: 'info',
    ...extra,
  };
}

async function startNode(wsPort: number, extra: Record<string, string> = {}): Promise<RunningProcess> {
  const run = runTsMain(appDir, nodeEnv(wsPort, extra));
  processes.push(run);
  await run.waitFor(/WebSocket server listening on/);
  return run;
}

/** A video worker (packages/video/src/main.ts): the pipeline alone. */
async function startWorker(extra: Record<string, string>): Promise<RunningProcess> {
  const run = runTsMain(videoDir, nodeEnv(0, extra));
  processes.push(run);
  await run.waitFor(/Video worker listening on/);
  return run;
}

function client(port: number): Client {
  const c = createClient({
    url: `ws://127.0.0.1:${port}`,
    WebSocket,
    requestTimeoutMs: 30_000,
    reconnect: { minDelayMs: 20, baseDelayMs: 50, maxDelayMs: 300 },
  });
  clients.push(c);
  return c;
}

function follow(c: Client, projectId: string): ServerEvent[] {
  const events: ServerEvent[] = [];
  c.subscribe(projectId, { onSnapshot: () => {}, onEvent: (event) => events.push(event) });
  return events;
}

async function stats(): Promise<RunwaySimStats> {
  return (await (await fetch(`${sim.runwayBaseUrl}/_sim/stats`)).json()) as RunwaySimStats;
}

describe('video pipeline in server processes', () => {
  it('SIGKILL mid-job: the restarted server resumes polling the same provider task (no second task), subscribers see it finish', async () => {
    const port: number = await freePort();
    const first = await startNode(port);
    const c = client(port);
    const projectId = 'video-sigkill';
    const events = follow(c, projectId);
    const { workspace } = await c.createWorkspace({ projectId, name: 'Kill' });
    const prompt = 'survives a crash [sim:slow]';
    const { job } = await c.generateVideo({ workspaceId: workspace.id, prompt });
    await vi.waitFor(() => expect(statusesOf(events, job.id)).toContain('running'), { timeout: 15_000 });

    first.child.kill('SIGKILL');
    await first.exited;
    const second = await startNode(port);
    // It takes the job over once the dead node's lease (VIDEO_LEASE_MS) expires, and polls the task the first created.
    await second.waitFor(new RegExp(`video job ${job.id}: taken over`));
    await vi.waitFor(() => expect(statusesOf(events, job.id).at(-1)).toBe('succeeded'), { timeout: 30_000 });

    const tasks = (await stats()).tasks.filter((task) => task.prompt === prompt);
    expect(tasks).toHaveLength(1);
    expect((await stat(join(storageDir, `${job.id}.mp4`))).size).toBeGreaterThan(0);
    const statuses = statusesOf(events, job.id);
    expect(statuses[0]).toBe('queued');
    const seqs = events.map((event) => event.seq);
    expect(seqs).toEqual([...new Set(seqs)].sort((x, y) => x - y)); // once each, in order, across the crash
  }, 60_000);

  it('two nodes on Redis: jobs started on one reach subscribers on the other, one provider task each', async () => {
    const redis = { REDIS_URL: 'redis://127.0.0.1:6379', REDIS_PREFIX: `video-${dbName}` };
    const [portA, portB]: number[] = [await freePort(), await freePort()];
    await Promise.all([startNode(portA!, redis), startNode(portB!, redis)]);
    const a = client(portA!);
    const b = client(portB!);
    const projectId = 'video-two-nodes';
    const onA = follow(a, projectId);
    const onB = follow(b, projectId);
    const jobs: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      const { workspace } = await (i % 2 === 0 ? a : b).createWorkspace({ projectId, name: `W${i}` });
      const { job } = await (i % 2 === 0 ? a : b).generateVideo({
        workspaceId: workspace.id,
        prompt: `two nodes ${i}`,
      });
      jobs.push(job.id);
    }
    for (const events of [onA, onB]) {
      await vi.waitFor(
        () => expect(jobs.map((id) => statusesOf(events, id).at(-1))).toEqual(jobs.map(() => 'succeeded')),
        {
          timeout: 30_000,
        },
      );
    }
    expect(onB.filter((event) => event.type === 'video.status_update')).toEqual(
      onA.filter((event) => event.type === 'video.status_update'),
    );
    const tasks = (await stats()).tasks.filter((task) => task.prompt.startsWith('two nodes '));
    expect(tasks).toHaveLength(4);
  }, 60_000);

  it('VIDEO_PIPELINE=off: the server only queues; two video workers on Redis run the jobs, and one killed mid-job is taken over (one task each)', async () => {
    const redis = { REDIS_URL: 'redis://127.0.0.1:6379', REDIS_PREFIX: `worker-${dbName}` };
    const port: number = await freePort();
    await startNode(port, { ...redis, VIDEO_PIPELINE: 'off' });
    const first = await startWorker(redis);
    await startWorker(redis);
    const c = client(port);
    const projectId = 'video-workers';
    const events = follow(c, projectId);
    const jobs: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      const { workspace } = await c.createWorkspace({ projectId, name: `W${i}` });
      const { job } = await c.generateVideo({ workspaceId: workspace.id, prompt: `worker job ${i} [sim:slow]` });
      expect(job.status).toBe('queued');
      jobs.push(job.id);
    }
    await vi.waitFor(() => expect(jobs.every((id) => statusesOf(events, id).includes('running'))).toBe(true), {
      timeout: 20_000,
    });
    first.child.kill('SIGKILL');
    await first.exited;
    await vi.waitFor(
      () => expect(jobs.map((id) => statusesOf(events, id).at(-1))).toEqual(jobs.map(() => 'succeeded')),
      { timeout: 40_000 },
    );
    const tasks = (await stats()).tasks.filter((task) => task.prompt.startsWith('worker job '));
    expect(tasks).toHaveLength(4);
    const seqs = events.map((event) => event.seq);
    expect(seqs).toEqual([...new Set(seqs)].sort((x, y) => x - y));
  }, 60_000);
});
