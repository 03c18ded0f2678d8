import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { isDuplicateKey, type Logger } from '@app/core';
import { ProtocolError } from '@app/protocol';
import { backoffMs } from './backoff.js';
import { ProviderError } from './provider-error.js';
import { StatusThrottle } from './status-throttle.js';
import { isFinal, publicStatus, videoUrlOf, type VideoJob, type VideoJobError } from './video-job.js';
import type { HeldLease, VideoJobStore } from './video-job-store.js';
import type { VideoMetrics } from './video-metrics.js';
import type { ProviderTask, VideoProvider, VideoRequest } from './video-provider.js';
import type { VideoStatusSink, VideoStatusUpdate } from './video-status-sink.js';
import type { VideoStorage } from './video-storage.js';

export interface VideoPipelineOptions {
  store: VideoJobStore;
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
  /** Random source for jitter (tests pass a fixed one). */
  random?: (() => number) | undefined;
  /**
   * False (VIDEO_PIPELINE=off): this node only queues jobs: `submit` writes them `pending` and reports
   * `queued`, and `start` does nothing; a node that runs jobs (a video worker) sends them to the
   * provider. Default true.
   */
  runJobs?: boolean | undefined;
}

/** What `submit` takes: the workspace (its project, for authorisation and events) and what to generate. */
export interface VideoSubmission {
  workspaceId: string;
  projectId: string;
  request: VideoRequest;
  requestedBy?: string | undefined;
  /** The job id to use (e.g. derived from an idempotent request); default a new UUID. */
  jobId?: string | undefined;
}

interface HeldJob {
  lease: HeldLease;
  timer: NodeJS.Timeout | undefined;
  /** A poll or the submission is running; a wake-up waits for it. */
  busy: boolean;
  /** Polls (or downloads) in a row that failed with a retryable error, and THROTTLED polls in a row. */
  failures: number;
  throttledPolls: number;
  notFound: number;
}

/** Consecutive failed downloads before the job fails (the output URL may have expired; a new poll gets a fresh one). */
const DOWNLOAD_ATTEMPTS = 5;
/** A just-created task can briefly be unknown to the provider; this many 404s in a row before we believe it. */
const NOT_FOUND_POLLS = 3;

/**
 * The video job pipeline of one node: writes each job before calling the provider, stores the task id
 * as soon as it is known, polls each job it holds the lease of (with backoff and jitter, honouring
 * Retry-After and THROTTLED), downloads finished videos into our storage, and reports every status
 * change through the sink (progress throttled). Another node, or this one after a restart, takes over
 * a job whose lease expired. See docs/decisions/0008-video-jobs-and-leases.md.
 */
export class VideoPipeline {
  private readonly held = new Map<string, HeldJob>();
  private readonly running = new Set<Promise<void>>();
  private readonly throttle: StatusThrottle;
  private readonly log: Logger;
  private readonly random: () => number;
  private readonly stopController = new AbortController();
  private scanTimer: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** A scan or renewal pass still running when its timer fires again is not started twice. */
  private scanning = false;
  private renewing = false;

  constructor(private readonly options: VideoPipelineOptions) {
    // One stop signal is shared by every provider call and sleep in flight (one per job held): no leak past 10.
    setMaxListeners(0, this.stopController.signal);
    this.log = options.logger;
    this.random = options.random ?? Math.random;
    this.throttle = new StatusThrottle({
      sink: options.sink,
      intervalMs: options.statusIntervalMs,
      onError: (error, job) => this.log.warn(`video job ${job.id}: status update not recorded: ${describe(error)}`),
    });
  }

  /** This node's id in the leases. */
  get nodeId(): string {
    return this.options.store.nodeId;
  }

  /** Ids of the jobs this node polls now. */
  heldJobIds(): string[] {
    return [...this.held.keys()];
  }

  /** Starts taking over jobs whose lease expired (at once, then every poll period) and renewing held leases. */
  start(): void {
    if (this.scanTimer !== undefined || this.stopped || this.options.runJobs === false) return;
    const scanMs = Math.max(50, Math.min(this.options.pollMs, Math.floor(this.options.leaseMs / 2)));
    this.scanTimer = setInterval(() => this.spawn(() => this.scan()), scanMs);
    this.spawn(() => this.scan());
  }

  /**
   * Writes the job (status queued to clients, `submitting` stored), takes its lease, reports `queued`, and
   * creates the provider task in the background. CONFLICT when the workspace already has an active job.
   */
  async submit(submission: VideoSubmission): Promise<VideoJob> {
    if (this.stopped) throw new ProtocolError('UNAVAILABLE', 'The video pipeline is stopping; retry later');
    const { store } = this.options;
    const id = submission.jobId ?? randomUUID();
    if (!(await store.reserveWorkspace(submission.workspaceId, id))) {
      throw new ProtocolError('CONFLICT', 'This workspace already has a video job in progress; cancel it first', {
        details: { workspaceId: submission.workspaceId },
      });
    }
    const now = new Date();
    const runs = this.options.runJobs !== false;
    const job: VideoJob = {
      id,
      workspaceId: submission.workspaceId,
      projectId: submission.projectId,
      provider: this.options.provider.name,
      request: submission.request,
      // A job this node will not send stays `pending` (safe to send) until a node that runs jobs takes it.
      status: runs ? 'submitting' : 'pending',
      requestedBy: submission.requestedBy,
      nextPollAt: now,
      deadlineAt: new Date(now.getTime() + this.options.jobTimeoutMs),
      leaseEpoch: 0,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await store.insert(job);
    } catch (error) {
      // A duplicate id is a retry racing its first attempt: that job exists and keeps the workspace.
      if (!isDuplicateKey(error)) await store.releaseWorkspace(job.workspaceId, id).catch(() => {});
      throw error;
    }
    const lease = runs ? await store.claim(job, this.options.leaseMs) : undefined;
    this.log.info(`video job ${id} queued for workspace ${job.workspaceId}`);
    this.log.debug(`video job ${id} prompt: ${job.request.prompt ?? '(none)'}`);
    this.options.metrics?.jobs.inc({ status: 'queued' });
    // Reported before the create starts, so `queued` is always the job's first update.
    const reported = this.report(job, { status: 'queued' });
    if (lease !== undefined) {
      this.hold(job.id, lease);
      const entry = this.held.get(job.id)!;
      entry.busy = true;
      this.spawn(() => this.createTask(job).finally(() => this.idle(job.id)));
    }
    await reported;
    return job;
  }

  /**
   * Asks for the workspace's active job to be cancelled: marks it, and the node polling it cancels the
   * provider task (at once when that is this node). NOT_FOUND when the workspace has no active job.
   */
  async cancel(workspaceId: string): Promise<VideoJob> {
    const { store } = this.options;
    const jobId = await store.activeJobId(workspaceId);
    const job = jobId === undefined ? undefined : await store.get(jobId);
    if (job === undefined || isFinal(job.status)) {
      throw new ProtocolError('NOT_FOUND', 'This workspace has no video job in progress', { details: { workspaceId } });
    }
    await store.requestCancel(job.id);
    this.wake(job.id);
    return job;
  }

  /** Polls a held job now (e.g. after another node forwarded a cancel). */
  wake(jobId: string): void {
    const entry = this.held.get(jobId);
    if (entry === undefined || entry.busy) return;
    this.schedule(jobId, 0);
  }

  /** A job by id (any node's). */
  getJob(jobId: string): Promise<VideoJob | undefined> {
    return this.options.store.get(jobId);
  }

  /**
   * Stops polling. `release: true` (graceful) gives the leases up so another node continues at once;
   * `false` leaves them to expire, as a node that died would.
   */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.scanTimer);
    clearInterval(this.renewTimer);
    this.stopController.abort();
    for (const entry of this.held.values()) clearTimeout(entry.timer);
    await Promise.allSettled([...this.running]);
    await this.throttle.close();
    if (options.release ?? true) {
      await Promise.allSettled([...this.held.values()].map((entry) => this.options.store.release(entry.lease)));
    }
    this.held.clear();
    this.options.metrics?.jobsPolled.set(0);
  }

  // --- internals -------------------------------------------------------------------------------

  private spawn(task: () => Promise<void>): void {
    const run = task().catch((error: unknown) => {
      this.log.error(`video pipeline: ${describe(error)}`);
    });
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  private hold(jobId: string, lease: HeldLease): void {
    // Held leases are renewed whether or not `start` ran (a node that only submits still keeps its jobs).
    this.renewTimer ??= setInterval(
      () => this.spawn(() => this.renewAll()),
      Math.max(20, Math.floor(this.options.leaseMs / 3)),
    );
    this.held.set(jobId, { lease, timer: undefined, busy: false, failures: 0, throttledPolls: 0, notFound: 0 });
    this.options.metrics?.jobsPolled.set(this.held.size);
  }

  private drop(jobId: string): void {
    const entry = this.held.get(jobId);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    this.held.delete(jobId);
    this.options.metrics?.jobsPolled.set(this.held.size);
  }

  private holds(jobId: string): boolean {
    const entry = this.held.get(jobId);
    return !this.stopped && entry !== undefined && Date.now() < entry.lease.validUntil;
  }

  private idle(jobId: string): void {
    const entry = this.held.get(jobId);
    if (entry !== undefined) entry.busy = false;
  }

  private schedule(jobId: string, delayMs: number): void {
    const entry = this.held.get(jobId);
    if (entry === undefined || this.stopped) return;
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      if (entry.busy) return;
      entry.busy = true;
      this.spawn(() => this.poll(jobId).finally(() => this.idle(jobId)));
    }, delayMs);
  }

  /** The steady poll period: at least VIDEO_POLL_MS, plus up to 25 % jitter so jobs do not poll in step. */
  private pollDelayMs(): number {
    return Math.round(this.options.pollMs * (1 + 0.25 * this.random()));
  }

  private backoff(attempt: number, floorMs: number): number {
    return backoffMs(
      attempt,
      { baseMs: this.options.pollMs, maxMs: this.options.backoffMaxMs ?? 60_000, random: this.random },
      floorMs,
    );
  }

  private async sleep(ms: number): Promise<void> {
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

  /** Times a provider call and counts its errors. */
  private async call<T>(operation: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await run(this.stopController.signal);
    } catch (error) {
      const code = error instanceof ProviderError ? error.code : 'INTERNAL';
      this.options.metrics?.providerErrors.inc({ code });
      throw error;
    } finally {
      this.options.metrics?.providerLatency.observe({ operation }, (performance.now() - started) / 1000);
    }
  }

  private async scan(): Promise<void> {
    if (this.stopped || this.scanning) return;
    this.scanning = true;
    try {
      await this.scanOnce();
    } finally {
      this.scanning = false;
    }
  }

  private async scanOnce(): Promise<void> {
    const jobs = await this.options.store.activeJobs();
    for (const job of jobs) {
      if (this.stopped) return;
      if (this.held.has(job.id)) continue;
      const lease = await this.options.store.claim(job, this.options.leaseMs);
      if (lease === undefined) continue;
      this.log.info(`video job ${job.id}: taken over (lease epoch ${lease.epoch})`);
      this.hold(job.id, lease);
      if (job.status === 'submitting') {
        const entry = this.held.get(job.id)!;
        entry.busy = true;
        await this.submitUnknown(job).finally(() => this.idle(job.id));
      } else if (job.status === 'pending') {
        const entry = this.held.get(job.id)!;
        entry.busy = true;
        this.spawn(() => this.sendPending(job).finally(() => this.idle(job.id)));
      } else {
        this.schedule(job.id, Math.max(0, job.nextPollAt.getTime() - Date.now()));
      }
    }
  }

  private async renewAll(): Promise<void> {
    if (this.renewing) return;
    this.renewing = true;
    try {
      await this.renewOnce();
    } finally {
      this.renewing = false;
    }
  }

  private async renewOnce(): Promise<void> {
    for (const [jobId, entry] of [...this.held]) {
      if (this.stopped) return;
      let renewed = false;
      try {
        renewed = await this.options.store.renew(entry.lease, this.options.leaseMs);
      } catch (error) {
        this.log.warn(`video job ${jobId}: lease not renewed: ${describe(error)}`);
      }
      if (!renewed && Date.now() >= entry.lease.validUntil) {
        this.log.warn(`video job ${jobId}: lease lost; another node continues it`);
        this.drop(jobId);
        this.throttle.forget(jobId);
      }
    }
  }

  /** A taken-over job whose create call may have reached the provider, with no task id stored: never resubmitted. */
  private async submitUnknown(job: VideoJob): Promise<void> {
    await this.finish(job, 'failed', {
      error: {
        code: 'SUBMIT_UNKNOWN',
        message:
          'The node creating this video stopped before the provider task id was stored; the provider may have started a task, so the job is not resubmitted (that could start a second paid task). Generate again to retry.',
        retryable: false,
      },
    });
  }

  /**
   * A job queued by a node that runs no jobs: marked `submitting` first (from then on it is never sent
   * again), then created like any other. A cancel asked before it was sent ends it without a provider call.
   */
  private async sendPending(job: VideoJob): Promise<void> {
    if (await this.options.store.cancelRequested(job.id)) {
      await this.finish(job, 'cancelled', {});
      return;
    }
    const marked = await this.options.store.update(job.id, { status: 'submitting' });
    if (marked === undefined) {
      this.drop(job.id);
      return;
    }
    await this.createTask(marked);
  }

  /** Creates the provider task; 429 and 5xx (no task was created) are retried with backoff, anything that may have reached it is not. */
  private async createTask(job: VideoJob): Promise<void> {
    const attempts = this.options.createAttempts ?? 5;
    for (let attempt = 0; ; attempt += 1) {
      if (!this.holds(job.id)) {
        if (!this.stopped) this.log.warn(`video job ${job.id}: lease lost before the create; the next holder decides`);
        return;
      }
      let taskId: string;
      try {
        ({ taskId } = await this.call('create', (signal) => this.options.provider.create(job.request, { signal })));
      } catch (error) {
        if (this.stopped) return; // aborted by stop: the next holder decides (SUBMIT_UNKNOWN)
        const failure =
          error instanceof ProviderError
            ? error
            : new ProviderError({ code: 'INTERNAL', retryable: false, message: 'Unexpected error', cause: error });
        const refused = failure.code === 'RATE_LIMITED' || failure.code === 'PROVIDER_UNAVAILABLE';
        if (refused && attempt + 1 < attempts) {
          const delay = this.backoff(attempt, failure.retryAfterMs ?? 0);
          this.log.info(`video job ${job.id}: provider refused the create (${failure.code}); retrying in ${delay} ms`);
          await this.sleep(delay);
          if (await this.options.store.cancelRequested(job.id)) {
            await this.finish(job, 'cancelled', {});
            return;
          }
          continue;
        }
        if (failure.code === 'TIMEOUT' || failure.code === 'CONNECTION' || failure.code === 'ABORTED') {
          await this.finish(job, 'failed', {
            error: {
              code: 'PROVIDER_TIMEOUT',
              message: `The provider did not answer the create request (${failure.code}); it may have started a task whose id we never received, so the job is not resubmitted (that could start a second paid task). Generate again to retry.`,
              retryable: false,
            },
          });
          return;
        }
        await this.finish(job, 'failed', { error: failure.toJSON() });
        return;
      }
      // The task id first, before anything else can fail: it is what makes the job resumable.
      const stored = await this.options.store.update(job.id, {
        status: 'queued',
        taskId,
        nextPollAt: new Date(Date.now() + this.options.pollMs),
      });
      this.log.info(`video job ${job.id}: provider task ${taskId} created`);
      if (stored === undefined) {
        // Finished meanwhile (cancelled while the create was in flight and taken to cancelled): stop the task too.
        await this.call('cancel', (signal) => this.options.provider.cancel(taskId, { signal })).catch(() => {});
        return;
      }
      if (await this.options.store.cancelRequested(job.id)) {
        await this.cancelTask(stored);
        return;
      }
      this.schedule(job.id, this.pollDelayMs());
      return;
    }
  }

  private async poll(jobId: string): Promise<void> {
    const entry = this.held.get(jobId);
    if (entry === undefined || !this.holds(jobId)) return;
    const job = await this.options.store.get(jobId);
    if (job === undefined || isFinal(job.status)) {
      this.drop(jobId);
      return;
    }
    this.options.metrics?.pollLag.observe(Math.max(0, Date.now() - job.nextPollAt.getTime()) / 1000);
    if (await this.options.store.cancelRequested(jobId)) {
      await this.cancelTask(job);
      return;
    }
    if (job.taskId === undefined) return; // still being created by this node
    if (Date.now() >= job.deadlineAt.getTime()) {
      await this.call('cancel', (signal) => this.options.provider.cancel(job.taskId!, { signal })).catch(() => {});
      await this.finish(job, 'failed', {
        error: {
          code: 'TIMEOUT',
          message: `The video was not ready within ${Math.round(this.options.jobTimeoutMs / 1000)} s; the provider task was cancelled`,
          retryable: true,
        },
      });
      return;
    }
    let task: ProviderTask;
    try {
      task = await this.call('get', (signal) => this.options.provider.get(job.taskId!, { signal }));
    } catch (error) {
      if (this.stopped) return;
      const failure =
        error instanceof ProviderError
          ? error
          : new ProviderError({ code: 'INTERNAL', retryable: false, message: 'Unexpected error', cause: error });
      if (failure.code === 'NOT_FOUND' && (entry.notFound += 1) < NOT_FOUND_POLLS) {
        this.schedule(jobId, this.backoff(entry.notFound, this.options.pollMs));
        return;
      }
      if (failure.retryable) {
        entry.failures += 1;
        const delay = this.backoff(entry.failures, Math.max(this.options.pollMs, failure.retryAfterMs ?? 0));
        this.log.warn(`video job ${jobId}: poll failed (${failure.code}); next in ${delay} ms`);
        await this.options.store.update(jobId, { nextPollAt: new Date(Date.now() + delay) });
        this.schedule(jobId, delay);
        return;
      }
      await this.finish(job, 'failed', { error: failure.toJSON() });
      return;
    }
    entry.failures = 0;
    entry.notFound = 0;
    switch (task.state) {
      case 'queued':
      case 'throttled':
      case 'running': {
        entry.throttledPolls = task.state === 'throttled' ? entry.throttledPolls + 1 : 0;
        // THROTTLED can last long (the provider runs it when a concurrency slot frees): poll it less and less often.
        const delay =
          task.state === 'throttled' ? this.backoff(entry.throttledPolls, this.options.pollMs) : this.pollDelayMs();
        const progress = task.state === 'running' ? task.progress : undefined;
        if (task.state !== job.status) {
          this.options.metrics?.jobs.inc({ status: task.state });
          await this.report(job, { status: task.state, progress });
        } else if (progress !== undefined && progress !== job.progress) {
          void this.report(job, { status: task.state, progress });
        }
        await this.options.store.update(jobId, {
          status: task.state,
          progress,
          nextPollAt: new Date(Date.now() + delay),
        });
        this.schedule(jobId, delay);
        return;
      }
      case 'succeeded':
        await this.store(job, entry, task.outputUrls?.[0]);
        return;
      case 'failed':
        await this.finish(job, 'failed', {
          error: (
            task.error ?? new ProviderError({ code: 'INTERNAL', retryable: true, message: 'The provider failed' })
          ).toJSON(),
        });
        return;
      case 'cancelled':
        await this.finish(job, 'cancelled', {});
        return;
    }
  }

  /** Downloads the output into our storage, then reports `succeeded` with our URL (never the provider's). */
  private async store(job: VideoJob, entry: HeldJob, outputUrl: string | undefined): Promise<void> {
    try {
      if (outputUrl === undefined) throw new Error('the provider reported no output');
      const stored = await this.call('download', async (stopSignal) => {
        const signal = AbortSignal.any([stopSignal, AbortSignal.timeout(this.options.downloadTimeoutMs)]);
        const response = await fetch(outputUrl, { signal });
        if (!response.ok || response.body === null) throw new Error(`download answered ${response.status}`);
        return this.options.storage.put(
          job.id,
          Readable.fromWeb(response.body as WebReadableStream<Uint8Array>, { signal }),
        );
      });
      await this.finish(job, 'succeeded', {
        progress: 1,
        videoUrl: videoUrlOf(job.id),
        sha256: stored.sha256,
        bytes: stored.bytes,
      });
    } catch (error) {
      if (this.stopped) return;
      entry.failures += 1;
      if (entry.failures >= DOWNLOAD_ATTEMPTS) {
        await this.finish(job, 'failed', {
          error: {
            code: 'DOWNLOAD_FAILED',
            message: 'The finished video could not be downloaded into storage',
            retryable: true,
          },
        });
        return;
      }
      const delay = this.backoff(entry.failures, this.options.pollMs);
      this.log.warn(`video job ${job.id}: download failed (${describe(error)}); next try in ${delay} ms`);
      this.schedule(job.id, delay); // the next poll fetches the task again, with fresh output URLs
    }
  }

  private async cancelTask(job: VideoJob): Promise<void> {
    if (job.taskId !== undefined) {
      try {
        await this.call('cancel', (signal) => this.options.provider.cancel(job.taskId!, { signal }));
      } catch (error) {
        if (this.stopped) return;
        if (!(error instanceof ProviderError && error.code === 'NOT_FOUND')) {
          const entry = this.held.get(job.id);
          if (entry !== undefined) {
            entry.failures += 1;
            this.log.warn(`video job ${job.id}: cancel failed (${describe(error)}); trying again`);
            this.schedule(job.id, this.backoff(entry.failures, this.options.pollMs));
            return;
          }
        }
      }
    }
    await this.finish(job, 'cancelled', {});
  }

  /** Reports the final status, writes it, frees the workspace and the leases. */
  private async finish(
    job: VideoJob,
    status: 'succeeded' | 'failed' | 'cancelled',
    extra: { error?: VideoJobError; progress?: number; videoUrl?: string; sha256?: string; bytes?: number },
  ): Promise<void> {
    const update: VideoStatusUpdate = { status };
    if (extra.progress !== undefined) update.progress = extra.progress;
    if (extra.videoUrl !== undefined) update.videoUrl = extra.videoUrl;
    if (extra.error !== undefined) update.error = extra.error;
    await this.report(job, update);
    const written = await this.options.store.update(job.id, { status, ...extra });
    if (written !== undefined) {
      this.options.metrics?.jobs.inc({ status });
      const level = status === 'failed' ? 'warn' : 'info';
      this.log[level](`video job ${job.id} ${status}${extra.error === undefined ? '' : `: ${extra.error.code}`}`);
    }
    await this.options.store.releaseWorkspace(job.workspaceId, job.id);
    await this.options.store.dropLeases(job.id);
    this.drop(job.id);
  }

  private report(job: VideoJob, update: VideoStatusUpdate): Promise<void> {
    return this.throttle.record({ ...job, status: publicStatus(job.status) }, update);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
