import { silentLogger } from '@app/core/testing';
import fc from 'fast-check';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { VideoPipeline, type VideoJob } from '../../src/index.js';
import {
  FakeLog,
  FakeProvider,
  MemoryDb,
  MemoryStorage,
  MemoryStore,
  NodeGate,
  seeded,
  type Faults,
} from './doubles.js';

/**
 * Generated fault runs of the whole pipeline: two or three workers on one shared (in-memory, FerretDB-like)
 * database, a provider and a project log that delay, fail, lose replies and pause, on a fake clock.
 * Replay one run with FC_SEED=<seed> (printed on failure); FC_RUNS sets the number of runs; FC_LONG=1 runs many.
 */

const POLL_MS = 100;
const LEASE_MS = 1_000;
const PROVIDER_TIMEOUT_MS = 400;
const JOB_TIMEOUT_MS = 8_000;
/** Deadline plus: a takeover (lease + margin), bounded downloads and DELETEs, and completion retries. */
const SLACK_MS = 20_000;
const STEP_MS = 50;

const FC_SEED = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
const FC_PATH = process.env.FC_PATH;
const FC_RUNS = Number(process.env.FC_RUNS ?? (process.env.FC_LONG === '1' ? 500 : 30));

interface Scenario {
  seed: number;
  workers: number;
  jobs: { at: number; workspace: number; via: number; cancelAt: number | undefined }[];
  pauses: { worker: number; at: number; forMs: number }[];
  restarts: { worker: number; at: number }[];
  maxInFlight: number | undefined;
  faults: Faults;
}

const faultsArb: fc.Arbitrary<Faults> = fc.record({
  dbFail: fc.constantFrom(0, 0.02, 0.1),
  dbLost: fc.constantFrom(0, 0.02, 0.1),
  dbDelayMs: fc.constantFrom(1, 20, 80),
  createRefused: fc.constantFrom(0, 0.3),
  createLost: fc.constantFrom(0, 0.2),
  getFail: fc.constantFrom(0, 0.2),
  cancelFail: fc.constantFrom(0, 0.5, 1),
  downloadFail: fc.constantFrom(0, 0.3, 1),
  unknownState: fc.constantFrom(0, 0.5),
  providerDelayMs: fc.constantFrom(1, 50, 300),
});

const scenarioArb: fc.Arbitrary<Scenario> = fc.integer({ min: 2, max: 3 }).chain((workers) =>
  fc.record({
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    workers: fc.constant(workers),
    jobs: fc.array(
      fc.record({
        at: fc.integer({ min: 0, max: 4_000 }),
        workspace: fc.integer({ min: 0, max: 2 }),
        via: fc.integer({ min: 0, max: workers - 1 }),
        cancelAt: fc.option(fc.integer({ min: 0, max: 6_000 }), { nil: undefined }),
      }),
      { minLength: 1, maxLength: 5 },
    ),
    pauses: fc.array(
      fc.record({
        worker: fc.integer({ min: 0, max: workers - 1 }),
        at: fc.integer({ min: 0, max: 8_000 }),
        forMs: fc.integer({ min: 100, max: 4_000 }),
      }),
      { maxLength: 2 },
    ),
    restarts: fc.array(
      fc.record({ worker: fc.integer({ min: 0, max: workers - 1 }), at: fc.integer({ min: 0, max: 8_000 }) }),
      { maxLength: 1 },
    ),
    maxInFlight: fc.option(fc.integer({ min: 1, max: 2 }), { nil: undefined }),
    faults: faultsArb,
  }),
);

interface Worker {
  gate: NodeGate;
  pipeline: VideoPipeline;
}

async function run(scenario: Scenario): Promise<void> {
  const random = seeded(scenario.seed);
  const db = new MemoryDb(random, scenario.faults);
  const provider = new FakeProvider(random, scenario.faults);
  const log = new FakeLog(db, new NodeGate());
  const storage = new MemoryStorage();
  let inFlight = 0;
  provider.onCreate = () => {
    const created = [...db.steps.keys()].filter((key) => key.endsWith(':create')).map((key) => key.slice(0, -7));
    inFlight = Math.max(inFlight, created.filter((jobId) => !db.steps.has(`${jobId}:final`)).length);
  };
  let nodes = 0;
  const startWorker = (): Worker => {
    const gate = new NodeGate();
    const pipeline = new VideoPipeline({
      store: new MemoryStore(db, `node-${(nodes += 1)}`, gate),
      provider: provider.client(gate),
      storage,
      sink: log.on(gate),
      logger: silentLogger(),
      pollMs: POLL_MS,
      statusIntervalMs: 0,
      leaseMs: LEASE_MS,
      jobTimeoutMs: JOB_TIMEOUT_MS,
      downloadTimeoutMs: 500,
      providerTimeoutMs: PROVIDER_TIMEOUT_MS,
      maxInFlight: scenario.maxInFlight,
      fetchVideo: provider.fetchVideo,
      random,
    });
    pipeline.start();
    return { gate, pipeline };
  };
  const workers = Array.from({ length: scenario.workers }, startWorker);
  const submitted = new Map<string, VideoJob>();
  const pending: Promise<unknown>[] = [];
  const at = (ms: number, action: () => void): void => {
    setTimeout(action, ms);
  };
  scenario.jobs.forEach((spec, i) => {
    at(spec.at, () => {
      const worker = workers[spec.via]!;
      pending.push(
        worker.pipeline
          .submit({
            workspaceId: `w${spec.workspace}`,
            projectId: 'p',
            request: { prompt: `job-${i}` },
            jobId: `job-${i}`,
          })
          .then((job) => submitted.set(job.id, job))
          .catch(() => undefined), // refused (CONFLICT, UNAVAILABLE): a typed answer, checked below
      );
      if (spec.cancelAt !== undefined) {
        at(spec.cancelAt, () =>
          pending.push(workers[spec.via]!.pipeline.cancel(`w${spec.workspace}`).catch(() => undefined)),
        );
      }
    });
  });
  for (const pause of scenario.pauses) {
    at(pause.at, () => {
      workers[pause.worker]!.gate.pausedUntil = Date.now() + pause.forMs;
    });
  }
  for (const restart of scenario.restarts) {
    at(restart.at, () => {
      const old = workers[restart.worker]!;
      pending.push(old.pipeline.stop({ release: false }));
      at(200, () => {
        workers[restart.worker] = startWorker();
      });
    });
  }
  const lastSubmit = Math.max(...scenario.jobs.map((job) => job.at));
  const end = lastSubmit + JOB_TIMEOUT_MS + SLACK_MS;
  for (let t = 0; t < end; t += STEP_MS) await vi.advanceTimersByTimeAsync(STEP_MS);
  await drive(Promise.all(pending));
  const problems: string[] = [...provider.violations];
  for (const i of scenario.jobs.keys()) {
    const id = `job-${i}`;
    const creates = provider.createsOf(id);
    if (creates > 1) problems.push(`${id}: ${creates} provider tasks`);
    const statuses = log.stored.get(id) ?? [];
    const job = db.jobs.get(id);
    if (submitted.has(id)) {
      if (job === undefined || !['succeeded', 'failed', 'cancelled'].includes(job.status)) {
        problems.push(`${id}: not ended (${job?.status}) by deadline + slack`);
      }
      if (statuses[0] !== 'queued') problems.push(`${id}: first stored status ${statuses[0]}, not queued`);
    }
    if (statuses.length > 0) {
      const final = statuses.findIndex((status) => ['succeeded', 'failed', 'cancelled'].includes(status));
      if (final !== statuses.length - 1) problems.push(`${id}: stored statuses ${statuses.join(' > ')}`);
      // A status may be stored twice (a reply lost, the write tried again); never one that goes back.
      const rank = statuses.map((status) =>
        status === 'queued' ? 0 : status === 'throttled' || status === 'running' ? 1 : 2,
      );
      if (rank.some((r, k) => k > 0 && r < rank[k - 1]!))
        problems.push(`${id}: stored statuses ${statuses.join(' > ')}`);
      if (
        job !== undefined &&
        ['succeeded', 'failed', 'cancelled'].includes(job.status) &&
        statuses.at(-1) !== job.status
      ) {
        problems.push(`${id}: ended ${job.status} but the log says ${statuses.at(-1)}`);
      }
    }
  }
  for (const [workspace, jobId] of db.active) {
    const job = db.jobs.get(jobId);
    // (A marker of a job never written, its submit failed, is taken over by the workspace's next submit.)
    if (job !== undefined && ['succeeded', 'failed', 'cancelled'].includes(job.status)) {
      problems.push(`workspace ${workspace} left reserved by ended job ${jobId}`);
    }
  }
  for (const [workspace, video] of log.video) {
    if (!['succeeded', 'failed', 'cancelled'].includes(video.status)) {
      problems.push(`workspace ${workspace} shows ${video.status} for ${video.jobId} forever`);
    }
  }
  if (scenario.maxInFlight !== undefined && inFlight > scenario.maxInFlight) {
    problems.push(`${inFlight} jobs at the provider at once, cap ${scenario.maxInFlight}`);
  }
  if (process.env.FC_DEBUG === '1' && problems.length > 0) {
    console.log(
      JSON.stringify({
        held: workers.map((worker) => worker.pipeline.heldJobIds()),
        leases: [...db.leases.entries()].map(([key, lease]) => [key, lease.owner, lease.expiresAt - Date.now()]),
        slots: [...db.slots],
        jobs: [...db.jobs.values()].map((j) => [j.id, j.workspaceId, j.status, j.error?.code]),
        active: [...db.active],
        steps: [...db.steps.keys()],
        log: [...log.stored],
        video: [...log.video],
      }),
    );
  }
  await drive(Promise.all(workers.map((worker) => worker.pipeline.stop({ release: false }))));
  expect(problems).toEqual([]);
}

/** Waits for `promise` while the fake clock moves on (what it waits for may be a timer). */
async function drive(promise: Promise<unknown>): Promise<void> {
  let done = false;
  void promise.finally(() => {
    done = true;
  });
  for (let i = 0; i < 2_000 && !done; i += 1) await vi.advanceTimersByTimeAsync(STEP_MS);
  await promise;
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

it('any interleaving of workers, pauses, restarts and faults: one task per job, every job ends in time, statuses stored in order, no workspace wedged, no finished task deleted', async () => {
  await fc.assert(fc.asyncProperty(scenarioArb, run), {
    numRuns: FC_SEED === undefined || FC_PATH !== undefined ? FC_RUNS : 1,
    ...(FC_SEED === undefined ? {} : { seed: FC_SEED }),
    ...(FC_PATH === undefined ? {} : { path: FC_PATH }),
    endOnFailure: true,
  });
}, 120_000);
