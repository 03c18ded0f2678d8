import { ProtocolError } from '@app/protocol';
import { JobFinisher } from './job-finisher.js';
import { JobLeases } from './job-leases.js';
import { JobPoller } from './job-poller.js';
import { JobSubmitter, type VideoSubmission } from './job-submitter.js';
import { PipelineContext, type VideoPipelineOptions } from './pipeline-context.js';
import { isFinal, type VideoJob } from './video-job.js';
import type { HeldLease } from './video-job-store.js';

export type { VideoPipelineOptions } from './pipeline-context.js';
export type { VideoSubmission } from './job-submitter.js';

/**
 * The video job pipeline of one node: writes each job before calling the provider (JobSubmitter), holds
 * and renews the leases of the jobs it runs and takes over expired ones (JobLeases), polls each held job
 * (JobPoller) and ends it, downloading a finished video into our storage (JobFinisher). Every status
 * change goes through the sink (progress throttled). See docs/decisions/0008-video-jobs-and-leases.md.
 */
export class VideoPipeline {
  private readonly ctx: PipelineContext;
  private readonly leases: JobLeases;
  private readonly submitter: JobSubmitter;

  constructor(options: VideoPipelineOptions) {
    this.ctx = new PipelineContext(options);
    let poller: JobPoller | undefined;
    this.leases = new JobLeases(this.ctx, {
      poll: (jobId) => poller!.poll(jobId),
      takeOver: (job, lease) => this.takeOver(job, lease),
    });
    const finisher = new JobFinisher(this.ctx, this.leases);
    poller = new JobPoller(this.ctx, this.leases, finisher);
    this.submitter = new JobSubmitter(this.ctx, this.leases, poller, finisher);
  }

  /** This node's id in the leases. */
  get nodeId(): string {
    return this.ctx.store.nodeId;
  }

  /** Ids of the jobs this node polls now. */
  heldJobIds(): string[] {
    return this.leases.ids();
  }

  /** Starts taking over jobs whose lease expired (at once, then every poll period) and renewing held leases. */
  start(): void {
    if (this.leases.scanStarted || this.ctx.stopped || this.ctx.options.runJobs === false) return;
    this.leases.startScan();
  }

  /**
   * Writes the job (status queued to clients, `submitting` stored), takes its lease, reports `queued`, and
   * creates the provider task in the background. CONFLICT when the workspace already has an active job.
   */
  submit(submission: VideoSubmission): Promise<VideoJob> {
    return this.submitter.submit(submission);
  }

  /**
   * Asks for the workspace's active job to be cancelled: marks it, and the node polling it cancels the
   * provider task (at once when that is this node). NOT_FOUND when the workspace has no active job.
   */
  async cancel(workspaceId: string): Promise<VideoJob> {
    const { store } = this.ctx;
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
    const entry = this.leases.get(jobId);
    if (entry === undefined || entry.busy) return;
    this.leases.schedule(jobId, 0);
  }

  /** A job by id (any node's). */
  getJob(jobId: string): Promise<VideoJob | undefined> {
    return this.ctx.store.get(jobId);
  }

  /**
   * Stops polling. `release: true` (graceful) gives the leases up so another node continues at once;
   * `false` leaves them to expire, as a node that died would.
   */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    if (this.ctx.stopped) return;
    this.ctx.stopped = true;
    this.ctx.stopController.abort();
    await this.leases.stop(options.release ?? true);
  }

  /** A job whose lease this node just took over: continued where its last holder left it. */
  private async takeOver(job: VideoJob, _lease: HeldLease): Promise<void> {
    const entry = this.leases.get(job.id)!;
    if (job.status === 'submitting') {
      entry.busy = true;
      await this.submitter.submitUnknown(job).finally(() => this.leases.idle(job.id));
    } else if (job.status === 'pending') {
      this.leases.runBusy(job.id, () => this.submitter.sendPending(job));
    } else {
      this.leases.schedule(job.id, Math.max(0, job.nextPollAt.getTime() - Date.now()));
    }
  }
}
