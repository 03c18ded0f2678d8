import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectDatabase, createLogger } from '@app/core';
import { silentLogger, testDbName } from '@app/core/testing';
import { startProviderSim, type ProviderSim, type RunwaySimOptions, type RunwaySimStats } from '@app/provider-sim';
import type { Connection } from 'mongoose';
import {
  FileVideoStorage,
  RunwayProvider,
  VideoJobStore,
  VideoPipeline,
  type VideoJob,
  type VideoPipelineOptions,
  type VideoStatusSink,
  type VideoStatusUpdate,
} from '../../src/index.js';

/** A sink that keeps every update, per job, in order. */
export class RecordingSink implements VideoStatusSink {
  readonly updates: { jobId: string; workspaceId: string; update: VideoStatusUpdate }[] = [];

  record(job: VideoJob, update: VideoStatusUpdate): Promise<void> {
    this.updates.push({ jobId: job.id, workspaceId: job.workspaceId, update });
    return Promise.resolve();
  }

  of(jobId: string): VideoStatusUpdate[] {
    return this.updates.filter((entry) => entry.jobId === jobId).map((entry) => entry.update);
  }
}

export const TEST_KEY = 'key_test';

/** The simulator, one database, a storage directory: what every pipeline of a test shares. */
export interface Harness {
  sim: ProviderSim;
  uri: string;
  dbName: string;
  storageDir: string;
  connections: Connection[];
  pipelines: VideoPipeline[];
  stats(): Promise<RunwaySimStats>;
  /** A pipeline on its own database connection (as another node would have). */
  pipeline(overrides?: Partial<VideoPipelineOptions> & { providerTimeoutMs?: number }): Promise<{
    pipeline: VideoPipeline;
    store: VideoJobStore;
    sink: RecordingSink;
  }>;
  close(): Promise<void>;
}

export async function startHarness(uri: string, runway: RunwaySimOptions = {}): Promise<Harness> {
  const sim = await startProviderSim({ runway: { stepMs: 100, runningSteps: 3, apiKey: TEST_KEY, ...runway } });
  const storageDir = await mkdtemp(join(tmpdir(), 'videos-'));
  const dbName = testDbName('video');
  const harness: Harness = {
    sim,
    uri,
    dbName,
    storageDir,
    connections: [],
    pipelines: [],
    async stats() {
      return (await (await fetch(`${sim.runwayBaseUrl}/_sim/stats`)).json()) as RunwaySimStats;
    },
    async pipeline(overrides = {}) {
      const connection = await connectDatabase({ uri, dbName, timeoutMs: 5_000 });
      harness.connections.push(connection);
      const store = await VideoJobStore.create(connection);
      const sink = new RecordingSink();
      const { providerTimeoutMs, ...rest } = overrides;
      const pipeline = new VideoPipeline({
        store,
        provider: new RunwayProvider({
          apiKey: TEST_KEY,
          baseUrl: sim.runwayBaseUrl,
          timeoutMs: providerTimeoutMs ?? 2_000,
        }),
        storage: new FileVideoStorage(storageDir),
        sink,
        logger: process.env.VIDEO_TEST_LOG ? createLogger({ level: 'debug' }) : silentLogger(),
        pollMs: 25,
        statusIntervalMs: 0,
        leaseMs: 2_000,
        jobTimeoutMs: 15_000,
        downloadTimeoutMs: 2_000,
        providerTimeoutMs: providerTimeoutMs ?? 2_000,
        ...rest,
      });
      harness.pipelines.push(pipeline);
      return { pipeline, store, sink };
    },
    async close() {
      await Promise.all(harness.pipelines.map((pipeline) => pipeline.stop()));
      await harness.connections[0]?.dropDatabase().catch(() => {});
      await Promise.all(harness.connections.map((connection) => connection.close()));
      await sim.close();
      await rm(storageDir, { recursive: true, force: true });
    },
  };
  return harness;
}
