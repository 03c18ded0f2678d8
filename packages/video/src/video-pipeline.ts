import { ProtocolError } from '@app/protocol';
import { JobFinisher } from './job-finisher.js';
import { JobLeases } from './job-leases.js';
import { JobPoller } from './job-poller.js';
import { JobSubmitter, type VideoSubmission } from './job-submitter.js';
import { PipelineContext, type VideoPipelineOptions } from './pipeline-context.js';
import { isFinal, type VideoJob } from './video-job.js';

export type { VideoPipelineOptions } from './pipeline-context.js';
export type { VideoSubmission } from './job-submitter.js';

/**
 * The video job pipeline of one node: writes each job before calling the provider and creates its one
 * task (JobSubmitter), holds and renews the leases of the jobs it runs and takes over expired ones
 * (JobLeases), advances each held job from what is stored (JobPoller), and ends it, downloading a
 * finished video into our storage (JobFinisher). Every status change goes through the sink (progress
 * throttled, each tried until stored). See docs/decisions/0008-video-jobs-and-leases.md and
 * 0012-video-job-fencing.md.
 */
export class VideoPipeline {
  private readonly ctx: PipelineContext;
  private readonly leases: JobLeases;
  private readonly submitter: JobSubmitter;

  constructor(options: VideoPipelineOptions) {
    this.ctx = new PipelineContext(options);
    let poller: JobPoller | undefined;
    this.leases = new JobLeases(this.ctx, { advance: (jobId) => poller!.advance(jobId) });
    const finisher = new JobFinisher(this.ctx);
    this.submitter = new JobSubmitter(this.ctx, this.leases, finisher);
    poller = new JobPoller(this.ctx, this.leases, this.submitter, finisher);
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
    // An outcome already decided (its completion may still be under way) is the answer: the job has ended.
    const outcome =
      job === undefined || isFinal(job.status) ? undefined : (await store.steps.get(job.id, 'final'))?.outcome;
    if (job !== undefined && outcome?.status === 'cancelled') return { ...job, status: 'cancelled' };
    if (job === undefined || isFinal(job.status) || outcome !== undefined) {
      throw new ProtocolError('NOT_FOUND', 'This workspace has no video job in progress', { details: { workspaceId } });
    }
    await store.requestCancel(job.id);
    this.wake(job.id);
    return job;
  }

  /** Runs a step of a held job now, or as soon as its running step ends (e.g. after another node forwarded a cancel). */
  wake(jobId: string): void {
    this.leases.wake(jobId);
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
}
