// The `video` scenario of `pnpm bench`: many concurrent video jobs through `pnpm start`'s server
// (apps/server: ws-server, REST API and the video pipeline in one process) against the Runway
// simulator of apps/provider-sim (in this process, so its clock is the subscriber's). Reports provider
// requests per job per minute, latency from a provider status change to a subscriber, and server CPU
// per job-second. Timings of the simulator and the poll period are shortened so the run stays short;
// requests per job per minute scale with 60 s / VIDEO_POLL_MS (Runway asks for at least 5 s).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client, type ServerEvent } from '@app/client';
import { startProviderSim, type RunwaySimStats } from '@app/provider-sim';
import WebSocket from 'ws';
import { exactSummary, nowMs, processCpuMs, type LatencySummary } from './common.js';
import { ROOT } from './processes.js';

export interface VideoJobsOptions {
  mongodbUri: string;
  dbName: string;
  jobs: number;
  /** VIDEO_POLL_MS of the server. */
  pollMs: number;
  /** Length of each simulated task step (PENDING, each RUNNING progress step). */
  stepMs: number;
  runningSteps: number;
  timeoutMs: number;
}

export interface VideoJobsResult {
  jobs: number;
  succeeded: number;
  pollMs: number;
  stepMs: number;
  runningSteps: number;
  /** From the first generate to the last final status. */
  wallSec: number;
  /** Seconds each job was active (generate sent to its final status), summed. */
  jobSec: number;
  providerRequests: { creates: number; retrieves: number; deletes: number };
  /** Provider requests (create, poll, cancel) per job per minute of the job's life. */
  requestsPerJobMinute: number;
  /** Provider status change (the simulator's schedule) to the subscriber's `video.status_update`, ms. */
  runningLatencyMs: LatencySummary;
  /** SUCCEEDED at the provider to `succeeded` at the subscriber (includes the download into storage), ms. */
  succeededLatencyMs: LatencySummary;
  serverCpuMs: number | null;
  /** Server CPU ms per second of active job. */
  serverCpuMsPerJobSec: number | null;
}

const SIM_KEY = 'key_bench';

export async function measureVideoJobs(options: VideoJobsOptions): Promise<VideoJobsResult> {
  const sim = await startProviderSim({
    runway: { stepMs: options.stepMs, runningSteps: options.runningSteps, apiKey: SIM_KEY },
  });
  const storageDir = mkdtempSync(join(tmpdir(), 'bench-videos-'));
  const child = spawn(process.execPath, ['--conditions=@app/source', '--import', 'tsx', 'src/main.ts'], {
    cwd: join(ROOT, 'apps', 'server'),
    env: {
      ...process.env,
      MONGODB_URI: options.mongodbUri,
      MONGODB_DB: options.dbName,
      HOST: '127.0.0.1',
      PORT: '0',
      WS_PORT: '0',
      AUTH_MODE: 'none',
      LOG_LEVEL: 'info', // the `listening on` line is at info
      RATE_LIMIT_PER_SEC: '100000',
      RATE_LIMIT_BURST: '100000',
      RUNWAYML_API_SECRET: SIM_KEY,
      RUNWAYML_BASE_URL: sim.runwayBaseUrl,
      VIDEO_POLL_MS: String(options.pollMs),
      VIDEO_STATUS_INTERVAL_MS: '1000',
      VIDEO_STORAGE_DIR: storageDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let client: Client | undefined;
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const onData = (chunk: Buffer): void => {
        out += chunk.toString();
        const match = /WebSocket server listening on (ws:\/\/\S+)/.exec(out);
        if (match !== null) resolve(match[1]!);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      // Keep only the tail, so a long run's per-job lines do not pile up.
      child.stdout.on('data', () => (out = out.slice(-4000)));
      child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening:\n${out.slice(-2000)}`)));
    });
    client = createClient({ url, WebSocket, requestTimeoutMs: 60_000 });
    const c = client;
    const projectId = 'bench-video';
    const received = new Map<string, { status: string; at: number }[]>();
    await new Promise<void>((resolve, reject) => {
      c.subscribe(projectId, {
        onSnapshot: () => resolve(),
        onError: reject,
        onEvent: (event: ServerEvent) => {
          if (event.type !== 'video.status_update') return;
          const list = received.get(event.data.jobId) ?? [];
          list.push({ status: event.data.status, at: Date.now() });
          received.set(event.data.jobId, list);
        },
      });
    });
    const workspaces = await Promise.all(
      Array.from({ length: options.jobs }, (_, i) => c.createWorkspace({ projectId, name: `job ${i}` })),
    );
    const cpu0 = processCpuMs(child.pid!);
    const started = nowMs();
    const sentAt = new Map<string, number>();
    const jobIds = await Promise.all(
      workspaces.map(async ({ workspace }, i) => {
        const at = Date.now();
        const { job } = await c.generateVideo({ workspaceId: workspace.id, prompt: `bench job ${i}` });
        sentAt.set(job.id, at);
        return job.id;
      }),
    );
    const isFinal = (status: string): boolean => ['succeeded', 'failed', 'cancelled'].includes(status);
    const deadline = Date.now() + options.timeoutMs;
    while (!jobIds.every((id) => received.get(id)?.some((entry) => isFinal(entry.status)) === true)) {
      if (Date.now() > deadline) throw new Error('video jobs did not all finish in time');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const wallSec = (nowMs() - started) / 1000;
    const cpu1 = processCpuMs(child.pid!);
    const stats = (await (await fetch(`${sim.runwayBaseUrl}/_sim/stats`)).json()) as RunwaySimStats;
    const taskByPrompt = new Map(stats.tasks.map((task) => [task.prompt, task]));
    const running: number[] = [];
    const succeeded: number[] = [];
    let jobMs = 0;
    let done = 0;
    for (const [i, id] of jobIds.entries()) {
      const events = received.get(id) ?? [];
      const last = events.find((entry) => isFinal(entry.status))!;
      jobMs += last.at - sentAt.get(id)!;
      const task = taskByPrompt.get(`bench job ${i}`);
      if (task === undefined) continue;
      const runningAt = events.find((entry) => entry.status === 'running')?.at;
      if (runningAt !== undefined) running.push(runningAt - (task.createdAt + options.stepMs));
      if (last.status === 'succeeded') {
        done += 1;
        succeeded.push(last.at - (task.createdAt + options.stepMs * (1 + options.runningSteps)));
      }
    }
    const requests = stats.creates + stats.retrieves + stats.deletes;
    const jobSec = jobMs / 1000;
    const serverCpuMs = cpu0 === null || cpu1 === null ? null : cpu1 - cpu0;
    return {
      jobs: options.jobs,
      succeeded: done,
      pollMs: options.pollMs,
      stepMs: options.stepMs,
      runningSteps: options.runningSteps,
      wallSec,
      jobSec,
      providerRequests: { creates: stats.creates, retrieves: stats.retrieves, deletes: stats.deletes },
      requestsPerJobMinute: requests / (jobSec / 60),
      runningLatencyMs: exactSummary(running),
      succeededLatencyMs: exactSummary(succeeded),
      serverCpuMs,
      serverCpuMsPerJobSec: serverCpuMs === null ? null : serverCpuMs / jobSec,
    };
  } finally {
    await client?.close();
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await sim.close();
    rmSync(storageDir, { recursive: true, force: true });
  }
}

/** The scenario's lines in the run's log. */
export function videoJobLines(result: VideoJobsResult): string[] {
  const ms = (summary: LatencySummary): string =>
    `p50 ${summary.p50?.toFixed(0) ?? '-'} ms, p99 ${summary.p99?.toFixed(0) ?? '-'} ms, max ${summary.max?.toFixed(0) ?? '-'} ms`;
  return [
    `${result.succeeded}/${result.jobs} jobs succeeded in ${result.wallSec.toFixed(1)} s (VIDEO_POLL_MS ${result.pollMs}, simulator step ${result.stepMs} ms x ${1 + result.runningSteps})`,
    `provider requests: ${result.providerRequests.creates} creates, ${result.providerRequests.retrieves} polls, ${result.providerRequests.deletes} cancels = ${result.requestsPerJobMinute.toFixed(1)} per job per minute (bound ${(60_000 / result.pollMs).toFixed(0)} polls/min at this poll period)`,
    `provider status change -> subscriber: running ${ms(result.runningLatencyMs)}; succeeded (with download) ${ms(result.succeededLatencyMs)}`,
    `server CPU: ${result.serverCpuMs?.toFixed(0) ?? '-'} ms over ${result.jobSec.toFixed(0)} job-seconds = ${result.serverCpuMsPerJobSec?.toFixed(2) ?? '-'} ms CPU per job-second`,
  ];
}
