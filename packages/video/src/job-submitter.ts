import { randomUUID } from 'node:crypto';
import { isDuplicateKey } from '@app/core';
import { ProtocolError } from '@app/protocol';
import type { JobFinisher } from './job-finisher.js';
import type { JobLeases } from './job-leases.js';
import type { JobPoller } from './job-poller.js';
import { providerFailure, type PipelineContext } from './pipeline-context.js';
import type { VideoJob } from './video-job.js';
import type { VideoRequest } from './video-provider.js';

/** What `submit` takes: the workspace (its project, for authorisation and events) and what to generate. */
export interface VideoSubmission {
  workspaceId: string;
  projectId: string;
  request: VideoRequest;
  requestedBy?: string | undefined;
  /** The job id to use (e.g. derived from an idempotent request); default a new UUID. */
  jobId?: string | undefined;
}

/** The start of a job: written before the provider is called, then the one create of its provider task. */
export class JobSubmitter {
  constructor(
    private readonly ctx: PipelineContext,
    private readonly leases: JobLeases,
    private readonly poller: JobPoller,
    private readonly finisher: JobFinisher,
  ) {}

  /**
   * Writes the job (status queued to clients, `submitting` stored), takes its lease, reports `queued`, and
   * creates the provider task in the background. CONFLICT when the workspace already has an active job.
   */
  async submit(submission: VideoSubmission): Promise<VideoJob> {
    const { ctx } = this;
    if (ctx.stopped) throw new ProtocolError('UNAVAILABLE', 'The video pipeline is stopping; retry later');
    const { store } = ctx;
    const id = submission.jobId ?? randomUUID();
    if (!(await store.reserveWorkspace(submission.workspaceId, id))) {
      throw new ProtocolError('CONFLICT', 'This workspace already has a video job in progress; cancel it first', {
        details: { workspaceId: submission.workspaceId },
      });
    }
    const now = new Date();
    const runs = ctx.options.runJobs !== false;
    const job: VideoJob = {
      id,
      workspaceId: submission.workspaceId,
      projectId: submission.projectId,
      provider: ctx.options.provider.name,
      request: submission.request,
      // A job this node will not send stays `pending` (safe to send) until a node that runs jobs takes it.
      status: runs ? 'submitting' : 'pending',
      requestedBy: submission.requestedBy,
      nextPollAt: now,
      deadlineAt: new Date(now.getTime() + ctx.options.jobTimeoutMs),
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
    const lease = runs ? await store.claim(job, ctx.options.leaseMs) : undefined;
    ctx.log.info(`video job ${id} queued for workspace ${job.workspaceId}`);
    ctx.log.debug(`video job ${id} prompt: ${job.request.prompt ?? '(none)'}`);
    ctx.options.metrics?.jobs.inc({ status: 'queued' });
    // Reported before the create starts, so `queued` is always the job's first update.
    const reported = ctx.report(job, { status: 'queued' });
    if (lease !== undefined) {
      this.leases.hold(job.id, lease);
      this.leases.runBusy(job.id, () => this.createTask(job));
    }
    await reported;
    return job;
  }

  /** A taken-over job whose create call may have reached the provider, with no task id stored: never resubmitted. */
  async submitUnknown(job: VideoJob): Promise<void> {
    await this.finisher.finish(job, 'failed', {
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
  async sendPending(job: VideoJob): Promise<void> {
    const { store } = this.ctx;
    if (await store.cancelRequested(job.id)) {
      await this.finisher.finish(job, 'cancelled', {});
      return;
    }
    const marked = await store.update(job.id, { status: 'submitting' });
    if (marked === undefined) {
      this.leases.drop(job.id);
      return;
    }
    await this.createTask(marked);
  }

  /** Creates the provider task; 429 and 5xx (no task was created) are retried with backoff, anything that may have reached it is not. */
  private async createTask(job: VideoJob): Promise<void> {
    const { ctx, leases, finisher } = this;
    const attempts = ctx.options.createAttempts ?? 5;
    for (let attempt = 0; ; attempt += 1) {
      if (!leases.holds(job.id)) {
        if (!ctx.stopped) ctx.log.warn(`video job ${job.id}: lease lost before the create; the next holder decides`);
        return;
      }
      let taskId: string;
      try {
        ({ taskId } = await ctx.call('create', (signal) => ctx.options.provider.create(job.request, { signal })));
      } catch (error) {
        if (ctx.stopped) return; // aborted by stop: the next holder decides (SUBMIT_UNKNOWN)
        const failure = providerFailure(error);
        const refused = failure.code === 'RATE_LIMITED' || failure.code === 'PROVIDER_UNAVAILABLE';
        if (refused && attempt + 1 < attempts) {
          const delay = ctx.backoff(attempt, failure.retryAfterMs ?? 0);
          ctx.log.info(`video job ${job.id}: provider refused the create (${failure.code}); retrying in ${delay} ms`);
          await ctx.sleep(delay);
          if (await ctx.store.cancelRequested(job.id)) {
            await finisher.finish(job, 'cancelled', {});
            return;
          }
          continue;
        }
        if (failure.code === 'TIMEOUT' || failure.code === 'CONNECTION' || failure.code === 'ABORTED') {
          await finisher.finish(job, 'failed', {
            error: {
              code: 'PROVIDER_TIMEOUT',
              message: `The provider did not answer the create request (${failure.code}); it may have started a task whose id we never received, so the job is not resubmitted (that could start a second paid task). Generate again to retry.`,
              retryable: false,
            },
          });
          return;
        }
        await finisher.finish(job, 'failed', { error: failure.toJSON() });
        return;
      }
      // The task id first, before anything else can fail: it is what makes the job resumable.
      const stored = await ctx.store.update(job.id, {
        status: 'queued',
        taskId,
        nextPollAt: new Date(Date.now() + ctx.options.pollMs),
      });
      ctx.log.info(`video job ${job.id}: provider task ${taskId} created`);
      if (stored === undefined) {
        // Finished meanwhile (cancelled while the create was in flight and taken to cancelled): stop the task too.
        await ctx.call('cancel', (signal) => ctx.options.provider.cancel(taskId, { signal })).catch(() => {});
        return;
      }
      if (await ctx.store.cancelRequested(job.id)) {
        await this.poller.cancelTask(stored);
        return;
      }
      leases.schedule(job.id, ctx.pollDelayMs());
      return;
    }
  }
}
