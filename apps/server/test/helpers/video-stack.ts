import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApi, createGracefulHttpServer, listenHttp } from '@app/api';
import { createClient, type Client, type ServerEvent } from '@app/client';
import { loadConfig, type Core } from '@app/core';
import { createTestCore, silentLogger } from '@app/core/testing';
import { startProviderSim, type ProviderSim, type RunwaySimStats } from '@app/provider-sim';
import { startVideoNode, type VideoNode } from '@app/video';
import { createWsServer, type WsServer } from '@app/ws-server';
import WebSocket from 'ws';

export const SIM_KEY = 'key_test';

/** Settings of a fast pipeline against the simulator (polls every 25 ms, every status at once). */
export function videoEnv(sim: ProviderSim, storageDir: string): Record<string, string> {
  return {
    RUNWAYML_API_SECRET: SIM_KEY,
    RUNWAYML_BASE_URL: sim.runwayBaseUrl,
    VIDEO_POLL_MS: '25',
    VIDEO_STATUS_INTERVAL_MS: '0',
    // Wide enough for a loaded machine: a lease lost or a create timed out fails a job (by design).
    VIDEO_LEASE_MS: '3000',
    VIDEO_PROVIDER_TIMEOUT_MS: '10000',
    VIDEO_DOWNLOAD_TIMEOUT_MS: '10000',
    VIDEO_STORAGE_DIR: storageDir,
  };
}

/** One node as `pnpm start` builds it (ws-server, REST API, video pipeline over one core), in this process. */
export interface VideoStack {
  core: Core;
  sim: ProviderSim;
  video: VideoNode;
  ws: WsServer;
  httpUrl: string;
  storageDir: string;
  client(): Client;
  stats(): Promise<RunwaySimStats>;
  close(): Promise<void>;
}

export async function startVideoStack(mongodbUri: string): Promise<VideoStack> {
  const sim = await startProviderSim({ runway: { stepMs: 60, runningSteps: 3, apiKey: SIM_KEY } });
  const storageDir = await mkdtemp(join(tmpdir(), 'videos-'));
  const core = await createTestCore(mongodbUri);
  const logger = silentLogger();
  const config = loadConfig({ ...videoEnv(sim, storageDir), MONGODB_URI: mongodbUri, AUTH_MODE: 'none' });
  const video = (await startVideoNode(config, { core, logger }))!;
  const ws = await createWsServer({ core, logger, port: 0, video: video.requests });
  const http = await listenHttp(
    createGracefulHttpServer(createApi({ core, logger, videos: video.videos, video: video.requests })),
    { name: 'HTTP API', port: 0, host: '127.0.0.1', shutdownTimeoutMs: 1_000 },
  );
  const httpUrl = http.url;
  const clients: Client[] = [];
  return {
    core,
    sim,
    video,
    ws,
    httpUrl,
    storageDir,
    client() {
      const client = createClient({
        url: ws.url,
        WebSocket,
        reconnect: { minDelayMs: 20, baseDelayMs: 50, maxDelayMs: 200 },
      });
      clients.push(client);
      return client;
    },
    async stats() {
      return (await (await fetch(`${sim.runwayBaseUrl}/_sim/stats`)).json()) as RunwaySimStats;
    },
    async close() {
      await Promise.all(clients.map((client) => client.close()));
      await video.close();
      await Promise.all([ws.close(), http.close()]);
      await core.close();
      await sim.close();
      await rm(storageDir, { recursive: true, force: true });
    },
  };
}

/** The `video.status_update` events a subscriber got, in order. */
export function statusesOf(events: readonly ServerEvent[], jobId?: string): string[] {
  return events.flatMap((event) =>
    event.type === 'video.status_update' && (jobId === undefined || event.data.jobId === jobId)
      ? [event.data.status]
      : [],
  );
}
