import { setMaxListeners } from 'node:events';
import type { Logger } from '@app/core';
import { backoffMs } from './backoff.js';
import { ProviderError } from './provider-error.js';
import { StatusThrottle, type RecordResult } from './status-throttle.js';
import { publicStatus, type VideoJob } from './video-job.js';
import type { VideoJobStore } from './video-job-store.js';
import type { VideoJobSteps } from './video-job-steps.js';
import type { VideoMetrics } from './video-metrics.js';
import type { VideoProvider } from './video-provider.js';
import type { VideoStatusSink, VideoStatusUpdate } from './video-status-sink.js';
import type { VideoStorage } from './video-storage.js';

/** What the pipeline needs of the job store (the MongoDB one, or a test double). */
export type JobStore = Pick<
  VideoJobStore,
  | 'nodeId'
  | 'reserveWorkspace'
  | 'releaseWorkspace'
  | 'activeJobId'
  | 'insert'
  | 'get'
  | 'update'
  | 'activeJobs'
  | 'claim'
  | 'renew'
  | 'release'
  | 'requestCancel'
  | 'cancelRequested'
  | 'dropLeases'
> & { steps: Pick<VideoJobSteps, 'insert' | 'get' | 'takeSlot' | 'releaseSlot'> };

/** Fetches a finished video (default: the global fetch). */
export type FetchVideo = (url: string, init: { signal: AbortSignal }) => Promise<Response>;

export interface VideoPipelineOptions {
  store: JobStore;
  provider: VideoProvider;
  storage: VideoStorage;
  sink: VideoStatusSink;
  logger: Logger;
  metrics?: VideoMetrics | undefined;
  /** VIDEO_POLL_MS: the shortest time between two polls of one job. */
  pollMs: number;
  /** VIDEO_STATUS_INTERVAL_MS: at most one progress-only update per job this often. */
  statusIntervalMs: number;
  /** VIDEO_LEASE_MS: how long a node's claim on a job lasts without renewal. */
  leaseMs: number;
  /** VIDEO_JOB_TIMEOUT_MS: a job not done this long after it was created fails with TIMEOUT. */
  jobTimeoutMs: number;
  /** Create attempts answered 429 / 5xx before the job fails (each such answer means no task was created). Default 5. */
  createAttempts?: number | undefined;
  /** Longest backoff between attempts or polls. Default 60 s. */
  backoffMaxMs?: number | undefined;
  /** VIDEO_DOWNLOAD_TIMEOUT_MS: longest download of a finished video. */
  downloadTimeoutMs: number;
  /**
   * VIDEO_PROVIDER_TIMEOUT_MS: the longest provider call (create, get, cancel); the pipeline aborts a call
   * that runs longer. The lease's safety margin is larger (ADR 0012). Default 30 s.
   */
  providerTimeoutMs?: number | undefined;
  /** VIDEO_MAX_IN_FLIGHT: jobs at the provider at once, over the whole deployment; more wait queued. Default no cap. */
  maxInFlight?: number | undefined;
  /** VIDEO_MAX_BYTES: the largest video downloaded. Default 512 MiB. */
  maxVideoBytes?: number | undefined;
  /** How a finished video is fetched (tests pass a double). Default the global fetch. */
  fetchVideo?: FetchVideo | undefined;
  /** Random source for jitter (tests pass a fixed one). */
  random?: (() => number) | undefined;
  /**
   * False (VIDEO_PIPELINE=off): this node only queues jobs: `submit` writes them `pending` and reports
   * `queued`, and `start` does nothing; a node that runs jobs (a video worker) sends them to the
   * provider. Default true.
   */
  runJobs?: boolean | undefined;
}

/**
 * What every part of one node's pipeline shares: the options, the stop signal, the background tasks,
 * the status throttle, and the timing helpers (backoff, jittered poll period, stoppable sleep).
 */
export class PipelineContext {
  readonly running = new Set<Promise<void>>();
  readonly throttle: StatusThrottle;
  readonly log: Logger;
  readonly random: () => number;
  readonly stopController = new AbortController();
  stopped = false;

  constructor(readonly options: VideoPipelineOptions) {
    // One stop signal is shared by every provider call and sleep in flight (one per job held): no leak past 10.
    setMaxListeners(0, this.stopController.signal);
    this.log = options.logger;
    this.random = options.random ?? Math.random;
    this.throttle = new StatusThrottle({
      sink: options.sink,
      intervalMs: options.statusIntervalMs,
      onError: (error, job) => this.log.warn(`video job ${job.id}: status update not recorded: ${describe(error)}`),
      retryMs: Math.min(options.pollMs, 200),
      retryMaxMs: Math.max(options.pollMs, 5_000),
    });
  }

  get store(): JobStore {
    return this.options.store;
  }

  get providerTimeoutMs(): number {
    return this.options.providerTimeoutMs ?? 30_000;
  }

  /**
   * Between the end of a held lease (`validUntil`) and its written expiry: longer than any provider call
   * (each is aborted after `providerTimeoutMs`), plus a quarter lease for clock skew. A holder starts no
   * call after `validUntil`, so every call it made has ended before another node can claim the job.
   */
  get leaseMarginMs(): number {
    return this.providerTimeoutMs + Math.ceil(this.options.leaseMs / 4);
  }

  /** Runs a background task, kept until it settles (stop waits for it). */
  spawn(task: () => Promise<void>): void {
    const run = task().catch((error: unknown) => {
      this.log.error(`video pipeline: ${describe(error)}`);
    });
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  /** The steady poll period: at least VIDEO_POLL_MS, plus up to 25 % jitter so jobs do not poll in step. */
  pollDelayMs(): number {
    return Math.round(this.options.pollMs * (1 + 0.25 * this.random()));
  }

  backoff(attempt: number, floorMs: number): number {
    return backoffMs(
      attempt,
      { baseMs: this.options.pollMs, maxMs: this.options.backoffMaxMs ?? 60_000, random: this.random },
      floorMs,
    );
  }

  async sleep(ms: number): Promise<void> {
    if (this.stopController.signal.aborted) return;
    await new Promise<void>((resolve) => {
      const signal = this.stopController.signal;
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Times a provider call, aborts it after `timeoutMs` (default the provider timeout), and counts its errors. */
  async call<T>(
    operation: string,
    run: (signal: AbortSignal) => Promise<T>,
    timeoutMs = this.providerTimeoutMs,
  ): Promise<T> {
    const started = performance.now();
    const timeout = new AbortController();
    const timer = setTimeout(
      () => timeout.abort(new ProviderError({ code: 'TIMEOUT', retryable: true, message: `${operation} timed out` })),
      timeoutMs,
    );
    try {
      return await run(AbortSignal.any([this.stopController.signal, timeout.signal]));
    } catch (error) {
      if (timeout.signal.aborted && !this.stopController.signal.aborted) throw timeout.signal.reason as Error;
      const code = error instanceof ProviderError ? error.code : 'INTERNAL';
      this.options.metrics?.providerErrors.inc({ code });
      throw error;
    } finally {
      clearTimeout(timer);
      this.options.metrics?.providerLatency.observe({ operation }, (performance.now() - started) / 1000);
    }
  }

  /** Sends a status to the sink, tried until stored or refused (or `attempts` ran out). */
  report(job: VideoJob, update: VideoStatusUpdate, attempts?: number): Promise<RecordResult> {
    return this.throttle.record({ ...job, status: publicStatus(job.status) }, update, attempts);
  }
}

/** An error as a short text for logs. */
export function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Anything a provider call threw, as a ProviderError. */
export function providerFailure(error: unknown): ProviderError {
  return error instanceof ProviderError
    ? error
    : new ProviderError({ code: 'INTERNAL', retryable: false, message: 'Unexpected error', cause: error });
}
