import type { JobFinisher } from './job-finisher.js';
import type { HeldJob, JobLeases, Next } from './job-leases.js';
import type { JobSubmitter } from './job-submitter.js';
import { providerFailure, type PipelineContext } from './pipeline-context.js';
import { ProviderError } from './provider-error.js';
import { isFinal, type VideoJob } from './video-job.js';
import type { JobOutcome } from './video-job-steps.js';
import type { ProviderTask } from './video-provider.js';

/** A just-created task can briefly be unknown to the provider; this many 404s in a row before we believe it. */
const NOT_FOUND_POLLS = 3;

/**
 * The steps of a held job, each decided from what is stored (so any step can fail and simply run again):
 * an outcome already decided is completed; past the deadline the job times out; a requested cancel is
 * carried out; a job without a task goes to the submitter; otherwise the provider's task is polled.
 */
export class JobPoller {
  constructor(
    private readonly ctx: PipelineContext,
    private readonly leases: JobLeases,
    private readonly submitter: JobSubmitter,
    private readonly finisher: JobFinisher,
  ) {}

  async advance(jobId: string): Promise<Next> {
    const { ctx, leases } = this;
    const entry = leases.get(jobId);
    if (entry === undefined) return 'done';
    if (!leases.holds(jobId)) {
      ctx.throttle.forget(jobId);
      return 'done';
    }
    const epoch = entry.lease.epoch;
    const submitted = entry.submittedHere;
    if (submitted !== undefined) {
      entry.submittedHere = undefined;
      return this.submitter.startCreate(submitted, entry);
    }
    const created = entry.justCreated;
    if (created?.taskId !== undefined) {
      entry.justCreated = undefined;
      return this.poll(created, entry, created.taskId, true);
    }
    const job = await ctx.store.get(jobId);
    if (job === undefined) return 'done';
    if (isFinal(job.status)) return 'done';
    // Only this holder decides while its lease holds: an earlier holder's decision is read when the job is
    // taken (or after a failed step, which may have been this holder's own decision half done).
    if (entry.fresh || entry.errors > 0) {
      const final = (await ctx.store.steps.get(jobId, 'final'))?.outcome;
      if (final !== undefined) return this.finisher.complete(job, epoch, final, entry);
      entry.fresh = false;
    }
    // Our create answered and its task id is not stored yet: that first, whatever else is due.
    if (entry.createdTaskId !== undefined) return this.submitter.storeTask(job, entry, entry.createdTaskId);
    ctx.options.metrics?.pollLag.observe(Math.max(0, Date.now() - job.nextPollAt.getTime()) / 1000);
    const taskId = await this.taskIdOf(job);
    if (Date.now() >= job.deadlineAt.getTime()) return this.expire(job, entry, taskId);
    if (await ctx.store.cancelRequested(jobId)) return this.cancel(job, entry, taskId);
    if (taskId === undefined || taskId === null) return this.submitter.advance(job, entry);
    return this.poll(job, entry, taskId, job.taskId === undefined);
  }

  /** The stored task id: undefined while none is decided, null when none was (or may have been) created. */
  private async taskIdOf(job: VideoJob): Promise<string | null | undefined> {
    if (job.taskId !== undefined) return job.taskId;
    return (await this.ctx.store.steps.get(job.id, 'task'))?.taskId;
  }

  /**
   * The task id, decided now: a task step is inserted with none when there is none yet, so a create still
   * in flight at a stale holder can never store its task afterwards (it cancels it instead).
   */
  private async settleTask(job: VideoJob, entry: HeldJob, known: string | null | undefined): Promise<string | null> {
    if (known !== undefined) return known;
    const { record } = await this.ctx.store.steps.insert(
      job.id,
      'task',
      { epoch: entry.lease.epoch },
      { taskId: null },
    );
    return record.taskId ?? null;
  }

  /** Past the deadline: a finished task is still downloaded (bounded attempts); anything else times out. */
  private async expire(job: VideoJob, entry: HeldJob, known: string | null | undefined): Promise<Next> {
    const { ctx } = this;
    const taskId = await this.settleTask(job, entry, known);
    if (taskId !== null) {
      const finished = entry.outputStored !== undefined || (await ctx.store.steps.get(job.id, 'output')) !== undefined;
      const task = await ctx
        .call('get', (signal) => ctx.options.provider.get(taskId, { signal }))
        .catch(() => undefined);
      const output = task?.state === 'succeeded' ? task.outputUrls?.[0] : undefined;
      // A finished task's video is still fetched (bounded: the download attempts, and at most as long
      // again as the job had), never cancelled.
      if (finished || task?.state === 'succeeded') {
        if (Date.now() < job.deadlineAt.getTime() + ctx.options.jobTimeoutMs) {
          if (task?.state === 'succeeded') return this.finished(job, entry, output);
          return ctx.backoff(entry.failures + 1, ctx.options.pollMs);
        }
        return this.finisher.decide(job, entry.lease.epoch, downloadFailed(), entry);
      }
    }
    return this.finisher.decide(
      job,
      entry.lease.epoch,
      {
        status: 'failed',
        error: {
          code: 'TIMEOUT',
          message: `The video was not ready within ${Math.round(ctx.options.jobTimeoutMs / 1000)} s; its provider task is cancelled unless it finished`,
          retryable: true,
        },
        cancelTask: taskId !== null,
      },
      entry,
    );
  }

  /** The task finished: recorded once (it is never cancelled from then on), then its video downloaded. */
  private async finished(job: VideoJob, entry: HeldJob, outputUrl: string | undefined): Promise<Next> {
    if (entry.outputStored !== true) {
      entry.outputStored = false; // seen: never cancelled by this node, even before the step is stored
      await this.ctx.store.steps.insert(job.id, 'output', { epoch: entry.lease.epoch });
      entry.outputStored = true;
    }
    return this.finisher.download(job, entry, outputUrl);
  }

  /** A requested cancel: ends the job cancelled, and the task too unless it already finished. */
  private async cancel(job: VideoJob, entry: HeldJob, known: string | null | undefined): Promise<Next> {
    const taskId = await this.settleTask(job, entry, known);
    return this.finisher.decide(job, entry.lease.epoch, { status: 'cancelled', cancelTask: taskId !== null }, entry);
  }

  private async poll(job: VideoJob, entry: HeldJob, taskId: string, adopt: boolean): Promise<Next> {
    const { ctx, leases } = this;
    const jobId = job.id;
    const epoch = entry.lease.epoch;
    // Just created (or taken over between the task step and the job's write): the document follows the
    // step, written while the provider is asked.
    const adopted = adopt
      ? ctx.store.update(jobId, { status: 'queued', taskId }, epoch).then(
          () => undefined,
          (error: unknown) => ({ error }),
        )
      : undefined;
    let task: ProviderTask;
    try {
      task = await ctx.call('get', (signal) => ctx.options.provider.get(taskId, { signal }));
    } catch (error) {
      const failed = await adopted;
      if (failed !== undefined) throw failed.error;
      if (ctx.stopped) return 'done';
      const failure = providerFailure(error);
      if (failure.code === 'NOT_FOUND' && (entry.notFound += 1) < NOT_FOUND_POLLS) {
        return ctx.backoff(entry.notFound, ctx.options.pollMs);
      }
      if (failure.retryable) {
        entry.failures += 1;
        const delay = ctx.backoff(entry.failures, Math.max(ctx.options.pollMs, failure.retryAfterMs ?? 0));
        ctx.log.warn(`video job ${jobId}: poll failed (${failure.code}); next in ${delay} ms`);
        await ctx.store.update(jobId, { nextPollAt: new Date(Date.now() + delay) }, epoch);
        return delay;
      }
      return this.finisher.decide(job, epoch, { status: 'failed', error: failure.toJSON() }, entry);
    }
    const failed = await adopted;
    if (failed !== undefined) throw failed.error;
    entry.failures = 0;
    entry.notFound = 0;
    switch (task.state) {
      case 'queued':
      case 'throttled':
      case 'running': {
        entry.unknownStates = 0;
        entry.throttledPolls = task.state === 'throttled' ? entry.throttledPolls + 1 : 0;
        // THROTTLED can last long (the provider runs it when a concurrency slot frees): poll it less and less often.
        const delay =
          task.state === 'throttled' ? ctx.backoff(entry.throttledPolls, ctx.options.pollMs) : ctx.pollDelayMs();
        const progress = task.state === 'running' ? task.progress : undefined;
        // A holder whose lease lapsed during the call reports nothing: the next holder does.
        if (!leases.holds(jobId)) return 'done';
        if (task.state !== job.status || (progress !== undefined && progress !== job.progress)) {
          if (task.state !== job.status) ctx.options.metrics?.jobs.inc({ status: task.state });
          // Not awaited: the status is tried until stored, in order, behind the earlier ones.
          void ctx.report(job, { status: task.state, progress });
        }
        await ctx.store.update(
          jobId,
          { status: task.state, progress, nextPollAt: new Date(Date.now() + delay) },
          epoch,
        );
        return delay;
      }
      case 'succeeded':
        return this.finished(job, entry, task.outputUrls?.[0]);
      case 'failed':
        return this.finisher.decide(
          job,
          epoch,
          {
            status: 'failed',
            error: (
              task.error ?? new ProviderError({ code: 'INTERNAL', retryable: true, message: 'The provider failed' })
            ).toJSON(),
          },
          entry,
        );
      case 'cancelled':
        return this.finisher.decide(job, epoch, { status: 'cancelled' }, entry);
      default: {
        // A state this adapter does not know: polled again (less and less often) until it is one, or the deadline.
        entry.unknownStates += 1;
        ctx.log.warn(`video job ${jobId}: provider task ${taskId} in an unknown state; polling again`);
        return ctx.backoff(entry.unknownStates, ctx.options.pollMs);
      }
    }
  }
}

function downloadFailed(): JobOutcome {
  return {
    status: 'failed',
    error: {
      code: 'DOWNLOAD_FAILED',
      message: 'The finished video could not be downloaded into storage',
      retryable: true,
    },
  };
}
