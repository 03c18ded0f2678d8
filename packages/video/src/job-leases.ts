import { describe, type PipelineContext } from './pipeline-context.js';
import type { VideoJob } from './video-job.js';
import type { HeldLease } from './video-job-store.js';

/**
 * What one step of a held job decided: poll again after this many ms, or `done` (the job ended, or this
 * node no longer holds it). A step that throws (a database error) is tried again with backoff: nothing
 * strands a job (ADR 0012).
 */
export type Next = number | 'done';

/** A job this node holds the lease of, and its poll state. */
export interface HeldJob {
  lease: HeldLease;
  timer: NodeJS.Timeout | undefined;
  deadlineTimer: NodeJS.Timeout | undefined;
  /** A step is running; a wake-up waits for it. */
  busy: boolean;
  /** The deadline passed while a step was running: run one as soon as it ends. */
  wakeWhenIdle: boolean;
  /** Steps in a row that threw (a database error, say). */
  errors: number;
  /** Polls in a row that failed with a retryable error, THROTTLED polls in a row, 404s in a row, unknown states in a row. */
  failures: number;
  throttledPolls: number;
  notFound: number;
  unknownStates: number;
  /** Downloads of the finished video that failed (never reset by a good poll). */
  downloadFailures: number;
  /** This holder saw the task SUCCEEDED (false), and stored the `output` step (true). */
  outputStored: boolean | undefined;
  /** DELETEs of the provider task that failed. */
  cancelFailures: number;
  /** The task id our create answered, until the `task` step holds it. */
  createdTaskId: string | undefined;
  /** The job as its create just stored it: the next step polls the task at once, without reading the job again. */
  justCreated: VideoJob | undefined;
  /** No step ran yet since this node took the job: what earlier holders decided is read first. */
  fresh: boolean;
  /**
   * The job as this node wrote it (with its `queued` step), claimed before it was written: no step of
   * anyone else exists, so the first step goes straight to the create.
   */
  submittedHere: VideoJob | undefined;
}

export interface JobLeasesHandlers {
  /** One step of a held job: decides what to do from the stored state, and when to come back. */
  advance(jobId: string): Promise<Next>;
}

/**
 * The leases of one node (ADR 0008, ADR 0012): the jobs it holds, each one's step timer and deadline, the
 * periodic renewal of every held lease, and the scan that takes over jobs whose lease expired.
 */
export class JobLeases {
  private readonly held = new Map<string, HeldJob>();
  private scanTimer: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  /** A scan or renewal pass still running when its timer fires again is not started twice. */
  private scanning = false;
  private renewing = false;

  constructor(
    private readonly ctx: PipelineContext,
    private readonly handlers: JobLeasesHandlers,
  ) {}

  ids(): string[] {
    return [...this.held.keys()];
  }

  get(jobId: string): HeldJob | undefined {
    return this.held.get(jobId);
  }

  /** Starts the scan (at once, then every poll period). */
  startScan(): void {
    const { pollMs, leaseMs } = this.ctx.options;
    const scanMs = Math.max(50, Math.min(pollMs, Math.floor(leaseMs / 2)));
    this.scanTimer = setInterval(() => this.ctx.spawn(() => this.scan()), scanMs);
    this.ctx.spawn(() => this.scan());
  }

  get scanStarted(): boolean {
    return this.scanTimer !== undefined;
  }

  /** Takes a lease for a job this node is creating (before the job is written, so no scan can take it in between). */
  claimNew(jobId: string): Promise<HeldLease | undefined> {
    return this.ctx.store.claim({ id: jobId, leaseEpoch: 0 }, this.ctx.options.leaseMs, this.ctx.leaseMarginMs);
  }

  /** Holds the job and runs its first step now; its deadline is watched from here on. */
  hold(job: VideoJob, lease: HeldLease, submittedHere = false): void {
    // Held leases are renewed whether or not the scan runs (a node that only submits still keeps its jobs).
    this.renewTimer ??= setInterval(
      () => this.ctx.spawn(() => this.renewAll()),
      Math.max(20, Math.floor(this.ctx.options.leaseMs / 4)),
    );
    const entry: HeldJob = {
      lease,
      timer: undefined,
      deadlineTimer: undefined,
      busy: false,
      wakeWhenIdle: false,
      errors: 0,
      failures: 0,
      throttledPolls: 0,
      notFound: 0,
      unknownStates: 0,
      downloadFailures: 0,
      outputStored: undefined,
      cancelFailures: 0,
      createdTaskId: undefined,
      justCreated: undefined,
      fresh: !submittedHere,
      submittedHere: submittedHere ? job : undefined,
    };
    this.held.set(job.id, entry);
    this.ctx.options.metrics?.jobsPolled.set(this.held.size);
    // The deadline is watched apart from the polls: a job whose polls stopped still ends on time.
    entry.deadlineTimer = setTimeout(() => this.wake(job.id), Math.max(0, job.deadlineAt.getTime() - Date.now()) + 1);
    this.schedule(job.id, 0);
  }

  drop(jobId: string): void {
    const entry = this.held.get(jobId);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    clearTimeout(entry.deadlineTimer);
    this.held.delete(jobId);
    this.ctx.options.metrics?.jobsPolled.set(this.held.size);
  }

  /** This node still holds the job's lease, with the safety margin (and is not stopping). */
  holds(jobId: string): boolean {
    const entry = this.held.get(jobId);
    return !this.ctx.stopped && entry !== undefined && Date.now() < entry.lease.validUntil;
  }

  /** Runs a step of the job now, or as soon as the running one ends. */
  wake(jobId: string): void {
    const entry = this.held.get(jobId);
    if (entry === undefined) return;
    if (entry.busy) entry.wakeWhenIdle = true;
    else this.schedule(jobId, 0);
  }

  schedule(jobId: string, delayMs: number): void {
    const entry = this.held.get(jobId);
    if (entry === undefined || this.ctx.stopped) return;
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      if (entry.busy) return;
      entry.busy = true;
      this.ctx.spawn(() => this.step(jobId, entry));
    }, delayMs);
  }

  /** One step; whatever it throws, the job is scheduled again (with backoff) while this node holds it. */
  private async step(jobId: string, entry: HeldJob): Promise<void> {
    let next: Next;
    try {
      next = await this.handlers.advance(jobId);
      entry.errors = 0;
    } catch (error) {
      if (this.ctx.stopped) return;
      entry.errors += 1;
      // Backoff, but within half a lease: a failed step is tried again while this node still holds the job.
      const { pollMs, leaseMs } = this.ctx.options;
      next = Math.min(this.ctx.backoff(entry.errors, pollMs), Math.max(pollMs, Math.floor(leaseMs / 2)));
      this.ctx.log.warn(`video job ${jobId}: step failed (${describe(error)}); again in ${next} ms`);
    } finally {
      entry.busy = false;
    }
    // Stopping: the entry stays, so that a graceful stop still gives its lease up.
    if (this.held.get(jobId) !== entry || this.ctx.stopped) return;
    if (next === 'done') {
      this.drop(jobId);
      return;
    }
    if (entry.wakeWhenIdle) {
      entry.wakeWhenIdle = false;
      next = 0;
    }
    this.schedule(jobId, next);
  }

  /** Stops the timers; `release` gives every held lease up so another node continues at once. */
  async stop(release: boolean): Promise<void> {
    clearInterval(this.scanTimer);
    clearInterval(this.renewTimer);
    for (const entry of this.held.values()) {
      clearTimeout(entry.timer);
      clearTimeout(entry.deadlineTimer);
    }
    await Promise.allSettled([...this.ctx.running]);
    await this.ctx.throttle.close();
    if (release) {
      await Promise.allSettled([...this.held.values()].map((entry) => this.ctx.store.release(entry.lease)));
    }
    this.held.clear();
    this.ctx.options.metrics?.jobsPolled.set(0);
  }

  private async scan(): Promise<void> {
    if (this.ctx.stopped || this.scanning) return;
    this.scanning = true;
    try {
      await this.scanOnce();
    } finally {
      this.scanning = false;
    }
  }

  /** Every active job, page by page in `_id` order; each one whose lease expired is claimed and continued. */
  private async scanOnce(): Promise<void> {
    let after: string | undefined;
    for (;;) {
      const jobs = await this.ctx.store.activeJobs(after);
      for (const job of jobs) {
        if (this.ctx.stopped) return;
        if (this.held.has(job.id)) continue;
        const lease = await this.ctx.store.claim(job, this.ctx.options.leaseMs, this.ctx.leaseMarginMs);
        if (lease === undefined || this.held.has(job.id)) continue;
        this.ctx.log.info(`video job ${job.id}: taken over (lease epoch ${lease.epoch})`);
        // The step reads the job again: what this page said may already be stale.
        this.hold(job, lease);
      }
      if (jobs.length < 500) return;
      after = jobs.at(-1)!.id;
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
      if (this.ctx.stopped) return;
      let renewed = false;
      try {
        renewed = await this.ctx.store.renew(entry.lease, this.ctx.options.leaseMs, this.ctx.leaseMarginMs);
      } catch (error) {
        this.ctx.log.warn(`video job ${jobId}: lease not renewed: ${describe(error)}`);
      }
      if (!renewed && Date.now() >= entry.lease.validUntil && this.held.get(jobId) === entry) {
        this.ctx.log.warn(`video job ${jobId}: lease lost; another node continues it`);
        this.drop(jobId);
        this.ctx.throttle.forget(jobId);
      }
    }
  }
}
