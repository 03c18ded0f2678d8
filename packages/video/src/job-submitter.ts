import { randomUUID } from 'node:crypto';
import { isDuplicateKey } from '@app/core';
import { ProtocolError } from '@app/protocol';
import type { JobFinisher } from './job-finisher.js';
import type { HeldJob, JobLeases, Next } from './job-leases.js';
import { describe, providerFailure, type PipelineContext } from './pipeline-context.js';
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

/** Tries of `queued` before `submit` gives up (and fails the job): the ack waits for them. */
const QUEUED_ATTEMPTS = 5;

/**
 * The start of a job: written, and its `queued` status stored in the log, before the ack; then, at its
 * holder, one in-flight slot taken and the one create of its provider task, fenced by the `create` step
 * (inserted once per job, ever) and answered by the `task` step (ADR 0012).
 */
export class JobSubmitter {
  constructor(
    private readonly ctx: PipelineContext,
    private readonly leases: JobLeases,
    private readonly finisher: JobFinisher,
  ) {}

  /**
   * Writes the job (status queued to clients, `submitting` stored, or `pending` on a node that runs no
   * jobs), stores `queued` in the project log, and only then answers; the create runs in the background.
   * CONFLICT when the workspace already has an active job.
   */
  async submit(submission: VideoSubmission): Promise<VideoJob> {
    const { ctx } = this;
    if (ctx.stopped) throw new ProtocolError('UNAVAILABLE', 'The video pipeline is stopping; retry later');
    const { store } = ctx;
    const id = submission.jobId ?? randomUUID();
    const reserved = await store.reserveWorkspace(submission.workspaceId, id).catch(async (error: unknown) => {
      // Maybe reserved (a lost reply): freed again, so the workspace is not held by a job never written.
      await store.releaseWorkspace(submission.workspaceId, id).catch(() => {});
      throw error;
    });
    if (!reserved) {
      throw new ProtocolError('CONFLICT', 'This workspace already has a video job in progress; cancel it first', {
        details: { workspaceId: submission.workspaceId },
      });
    }
    const runs = ctx.options.runJobs !== false;
    let lease;
    try {
      // The lease before the job exists: no scan (of this node or another) can take the job in between.
      lease = runs ? await this.leases.claimNew(id) : undefined;
    } catch (error) {
      await store.releaseWorkspace(submission.workspaceId, id).catch(() => {});
      throw error;
    }
    const now = new Date();
    const job: VideoJob = {
      id,
      workspaceId: submission.workspaceId,
      projectId: submission.projectId,
      provider: ctx.options.provider.name,
      request: submission.request,
      // A job this node will not send stays `pending` until a node that runs jobs takes it.
      status: runs ? 'submitting' : 'pending',
      requestedBy: submission.requestedBy,
      nextPollAt: now,
      deadlineAt: new Date(now.getTime() + ctx.options.jobTimeoutMs),
      leaseEpoch: lease?.epoch ?? 0,
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
    ctx.log.info(`video job ${id} queued for workspace ${job.workspaceId}`);
    ctx.log.debug(`video job ${id} prompt: ${job.request.prompt ?? '(none)'}`);
    const queued = await this.storeQueued(job, lease?.epoch ?? 0, QUEUED_ATTEMPTS).catch(() => 'dropped' as const);
    if (queued !== 'stored') {
      // Maybe not in the log: the job must not run. It is decided failed here and completed like any other
      // (its holder, or a scan, stores `failed` if `queued` did land, then frees the workspace).
      await ctx.store.steps
        .insert(id, 'final', { epoch: lease?.epoch ?? 0 }, { outcome: notRecorded() })
        .catch((error: unknown) =>
          ctx.log.warn(`video job ${id}: not decided after its queued failed: ${describe(error)}`),
        );
      if (lease !== undefined) this.leases.hold(job, lease);
      if (queued === 'refused') {
        throw new ProtocolError('CONFLICT', 'This workspace already has a video job in progress; cancel it first', {
          details: { workspaceId: job.workspaceId },
        });
      }
      throw new ProtocolError('UNAVAILABLE', 'The video job could not be recorded; retry later');
    }
    ctx.options.metrics?.jobs.inc({ status: 'queued' });
    if (lease !== undefined) this.leases.hold(job, lease, true);
    return job;
  }

  /** `queued` in the log, then the `queued` step that says so (a pending job is sent only after it). */
  private async storeQueued(
    job: VideoJob,
    epoch: number,
    attempts?: number,
  ): Promise<'stored' | 'refused' | 'dropped'> {
    const result = await this.ctx.report(job, { status: 'queued' }, attempts);
    if (result !== 'stored') return result === 'held' ? 'stored' : result;
    await this.ctx.store.steps.insert(job.id, 'queued', { epoch });
    return 'stored';
  }

  /** A job without a task: queued in the log first, then an in-flight slot, then its one create. */
  async advance(job: VideoJob, entry: HeldJob): Promise<Next> {
    const { ctx, finisher } = this;
    const { steps } = ctx.store;
    const epoch = entry.lease.epoch;
    const task = await steps.get(job.id, 'task');
    if (task !== undefined) {
      if (typeof task.taskId === 'string') return this.adopt(job, entry, task.taskId);
      return finisher.decide(job, epoch, submitUnknown(), entry);
    }
    const create = await steps.get(job.id, 'create');
    if (create !== undefined) {
      // Another holder (or this node before a restart) may have called the provider, and every call it
      // made has ended (the lease margin): its task id was lost. Decided once: no task will be stored.
      const { record } = await steps.insert(job.id, 'task', { epoch }, { taskId: null });
      if (typeof record.taskId === 'string') return this.adopt(job, entry, record.taskId);
      return finisher.decide(job, epoch, submitUnknown(), entry);
    }
    if ((await steps.get(job.id, 'queued')) === undefined) {
      // Its submitter has not stored `queued` yet, or died before it could: after the grace period, here.
      const grace = ctx.options.leaseMs + ctx.leaseMarginMs;
      if (Date.now() - job.createdAt.getTime() < grace) return ctx.pollDelayMs();
      const queued = await this.storeQueued(job, epoch, QUEUED_ATTEMPTS);
      if (queued === 'refused') {
        return finisher.decide(job, epoch, notRecorded(), entry);
      }
      if (queued !== 'stored') return ctx.backoff(1, ctx.options.pollMs);
    }
    return this.startCreate(job, entry);
  }

  /** An in-flight slot, then the `create` step (this holder's only if it inserted it), then the create. */
  async startCreate(job: VideoJob, entry: HeldJob): Promise<Next> {
    const { ctx } = this;
    const { steps } = ctx.store;
    const epoch = entry.lease.epoch;
    const cap = ctx.options.maxInFlight;
    if (cap !== undefined && cap > 0 && !(await steps.takeSlot(job.id, cap))) {
      return ctx.pollDelayMs(); // the deployment has VIDEO_MAX_IN_FLIGHT jobs at the provider: wait, queued
    }
    if (!this.leases.holds(job.id)) return 'done';
    const { mine } = await steps.insert(job.id, 'create', { epoch });
    if (!mine) return 0; // another holder got there first: decided on the next step
    if (job.status === 'pending') await ctx.store.update(job.id, { status: 'submitting' }, epoch);
    return this.create(job, entry);
  }

  /** The task id stored by the `task` step, taken into the job document; then polled. */
  private async adopt(job: VideoJob, entry: HeldJob, taskId: string): Promise<Next> {
    const delay = this.ctx.pollDelayMs();
    await this.ctx.store.update(
      job.id,
      { status: 'queued', taskId, nextPollAt: new Date(Date.now() + delay) },
      entry.lease.epoch,
    );
    return delay;
  }

  /**
   * The create (this holder inserted the `create` step): 429 and 5xx (no task was created) are retried
   * with backoff while the lease holds; anything that may have reached the provider is not.
   */
  private async create(job: VideoJob, entry: HeldJob): Promise<Next> {
    const { ctx, finisher } = this;
    const epoch = entry.lease.epoch;
    const attempts = ctx.options.createAttempts ?? 5;
    const noTask = async (outcome: Parameters<JobFinisher['decide']>[2]): Promise<Next> => {
      const { record } = await ctx.store.steps.insert(job.id, 'task', { epoch }, { taskId: null });
      if (typeof record.taskId === 'string') return 0; // cannot be: only this holder creates
      return finisher.decide(job, epoch, outcome, entry);
    };
    for (let attempt = 0; ; attempt += 1) {
      // No call after the lease's safe end: every call ends before another node may take the job.
      if (!this.leases.holds(job.id)) {
        if (!ctx.stopped) ctx.log.warn(`video job ${job.id}: lease lost before the create; the next holder decides`);
        return 'done';
      }
      let taskId: string;
      try {
        ({ taskId } = await ctx.call('create', (signal) => ctx.options.provider.create(job.request, { signal })));
      } catch (error) {
        if (ctx.stopped) return 'done'; // aborted by stop: the next holder decides (SUBMIT_UNKNOWN)
        const failure = providerFailure(error);
        const refused = failure.code === 'RATE_LIMITED' || failure.code === 'PROVIDER_UNAVAILABLE';
        if (refused && attempt + 1 < attempts) {
          const delay = ctx.backoff(attempt, failure.retryAfterMs ?? 0);
          ctx.log.info(`video job ${job.id}: provider refused the create (${failure.code}); retrying in ${delay} ms`);
          await ctx.sleep(delay);
          if (await ctx.store.cancelRequested(job.id)) return noTask({ status: 'cancelled' });
          continue;
        }
        if (failure.code === 'TIMEOUT' || failure.code === 'CONNECTION' || failure.code === 'ABORTED') {
          return noTask({
            status: 'failed',
            error: {
              code: 'PROVIDER_TIMEOUT',
              message: `The provider did not answer the create request (${failure.code}); it may have started a task whose id we never received, so the job is not resubmitted (that could start a second paid task). Generate again to retry.`,
              retryable: false,
            },
          });
        }
        return noTask({ status: 'failed', error: failure.toJSON() });
      }
      // Logged at once: a paid task's id is never only in memory.
      ctx.log.info(`video job ${job.id}: provider task ${taskId} created`);
      entry.createdTaskId = taskId;
      return this.storeTask(job, entry, taskId);
    }
  }

  /**
   * Stores the task our create answered (the `task` step). Refused when another holder decided there is
   * none (this node paused past its lease): the task is an orphan, cancelled at once.
   */
  async storeTask(job: VideoJob, entry: HeldJob, taskId: string): Promise<Next> {
    const { ctx } = this;
    const { record } = await ctx.store.steps.insert(job.id, 'task', { epoch: entry.lease.epoch }, { taskId });
    entry.createdTaskId = undefined;
    if (record.taskId === taskId) {
      // Polled at once (a short task's RUNNING is not missed); the job document takes the id meanwhile.
      entry.justCreated = { ...job, status: 'queued', taskId };
      return 0;
    }
    ctx.log.warn(
      `video job ${job.id}: provider task ${taskId} was created after the job was decided without it; cancelling it`,
    );
    await ctx
      .call('cancel', (signal) => ctx.options.provider.cancel(taskId, { signal }))
      .catch((error: unknown) =>
        ctx.log.warn(`video job ${job.id}: orphan task ${taskId} not cancelled: ${describe(error)}`),
      );
    return 0;
  }
}

function submitUnknown(): Parameters<JobFinisher['decide']>[2] {
  return {
    status: 'failed',
    error: {
      code: 'SUBMIT_UNKNOWN',
      message:
        'The node creating this video stopped before the provider task id was stored; the provider may have started a task, so the job is not resubmitted (that could start a second paid task). Generate again to retry.',
      retryable: false,
    },
  };
}

function notRecorded(): Parameters<JobFinisher['decide']>[2] {
  return {
    status: 'failed',
    error: { code: 'UNAVAILABLE', message: 'The job could not be recorded; generate again', retryable: true },
  };
}
