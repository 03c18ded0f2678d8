import { describe, type PipelineContext } from './pipeline-context.js';
import type { VideoJob } from './video-job.js';
import type { HeldLease } from './video-job-store.js';

/** A job this node holds the lease of, and its poll state. */
export interface HeldJob {
  lease: HeldLease;
  timer: NodeJS.Timeout | undefined;
  /** A poll or the submission is running; a wake-up waits for it. */
  busy: boolean;
  /** Polls (or downloads) in a row that failed with a retryable error, and THROTTLED polls in a row. */
  failures: number;
  throttledPolls: number;
  notFound: number;
}

export interface JobLeasesHandlers {
  /** A held job's poll is due. */
  poll(jobId: string): Promise<void>;
  /** This node just took over `job` (its lease had expired). */
  takeOver(job: VideoJob, lease: HeldLease): Promise<void>;
}

/**
 * The leases of one node (ADR 0008): the jobs it holds, each one's poll timer, the periodic renewal of
 * every held lease, and the scan that takes over jobs whose lease expired.
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

  hold(jobId: string, lease: HeldLease): HeldJob {
    // Held leases are renewed whether or not the scan runs (a node that only submits still keeps its jobs).
    this.renewTimer ??= setInterval(
      () => this.ctx.spawn(() => this.renewAll()),
      Math.max(20, Math.floor(this.ctx.options.leaseMs / 3)),
    );
    const entry: HeldJob = { lease, timer: undefined, busy: false, failures: 0, throttledPolls: 0, notFound: 0 };
    this.held.set(jobId, entry);
    this.ctx.options.metrics?.jobsPolled.set(this.held.size);
    return entry;
  }

  drop(jobId: string): void {
    const entry = this.held.get(jobId);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    this.held.delete(jobId);
    this.ctx.options.metrics?.jobsPolled.set(this.held.size);
  }

  /** This node still holds the job's lease (and is not stopping). */
  holds(jobId: string): boolean {
    const entry = this.held.get(jobId);
    return !this.ctx.stopped && entry !== undefined && Date.now() < entry.lease.validUntil;
  }

  idle(jobId: string): void {
    const entry = this.held.get(jobId);
    if (entry !== undefined) entry.busy = false;
  }

  /** Runs `task` as the job's one busy operation (a poll waits for it). */
  runBusy(jobId: string, task: () => Promise<void>): void {
    const entry = this.held.get(jobId);
    if (entry !== undefined) entry.busy = true;
    this.ctx.spawn(() => task().finally(() => this.idle(jobId)));
  }

  schedule(jobId: string, delayMs: number): void {
    const entry = this.held.get(jobId);
    if (entry === undefined || this.ctx.stopped) return;
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      if (entry.busy) return;
      entry.busy = true;
      this.ctx.spawn(() => this.handlers.poll(jobId).finally(() => this.idle(jobId)));
    }, delayMs);
  }

  /** Stops the timers; `release` gives every held lease up so another node continues at once. */
  async stop(release: boolean): Promise<void> {
    clearInterval(this.scanTimer);
    clearInterval(this.renewTimer);
    for (const entry of this.held.values()) clearTimeout(entry.timer);
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

  private async scanOnce(): Promise<void> {
    const jobs = await this.ctx.store.activeJobs();
    for (const job of jobs) {
      if (this.ctx.stopped) return;
      if (this.held.has(job.id)) continue;
      const lease = await this.ctx.store.claim(job, this.ctx.options.leaseMs);
      if (lease === undefined) continue;
      this.ctx.log.info(`video job ${job.id}: taken over (lease epoch ${lease.epoch})`);
      this.hold(job.id, lease);
      await this.handlers.takeOver(job, lease);
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
        renewed = await this.ctx.store.renew(entry.lease, this.ctx.options.leaseMs);
      } catch (error) {
        this.ctx.log.warn(`video job ${jobId}: lease not renewed: ${describe(error)}`);
      }
      if (!renewed && Date.now() >= entry.lease.validUntil) {
        this.ctx.log.warn(`video job ${jobId}: lease lost; another node continues it`);
        this.drop(jobId);
        this.ctx.throttle.forget(jobId);
      }
    }
  }
}
