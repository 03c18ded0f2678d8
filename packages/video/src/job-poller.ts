import { ProviderError } from './provider-error.js';
import type { JobFinisher } from './job-finisher.js';
import type { JobLeases } from './job-leases.js';
import { describe, providerFailure, type PipelineContext } from './pipeline-context.js';
import { isFinal, type VideoJob } from './video-job.js';
import type { ProviderTask } from './video-provider.js';

/** A just-created task can briefly be unknown to the provider; this many 404s in a row before we believe it. */
const NOT_FOUND_POLLS = 3;

/** The polls of a held job: the provider's task state, the deadline, and a requested cancel. */
export class JobPoller {
  constructor(
    private readonly ctx: PipelineContext,
    private readonly leases: JobLeases,
    private readonly finisher: JobFinisher,
  ) {}

  async poll(jobId: string): Promise<void> {
    const { ctx, leases } = this;
    const entry = leases.get(jobId);
    if (entry === undefined || !leases.holds(jobId)) return;
    const job = await ctx.store.get(jobId);
    if (job === undefined || isFinal(job.status)) {
      leases.drop(jobId);
      return;
    }
    ctx.options.metrics?.pollLag.observe(Math.max(0, Date.now() - job.nextPollAt.getTime()) / 1000);
    if (await ctx.store.cancelRequested(jobId)) {
      await this.cancelTask(job);
      return;
    }
    if (job.taskId === undefined) return; // still being created by this node
    if (Date.now() >= job.deadlineAt.getTime()) {
      await ctx.call('cancel', (signal) => ctx.options.provider.cancel(job.taskId!, { signal })).catch(() => {});
      await this.finisher.finish(job, 'failed', {
        error: {
          code: 'TIMEOUT',
          message: `The video was not ready within ${Math.round(ctx.options.jobTimeoutMs / 1000)} s; the provider task was cancelled`,
          retryable: true,
        },
      });
      return;
    }
    let task: ProviderTask;
    try {
      task = await ctx.call('get', (signal) => ctx.options.provider.get(job.taskId!, { signal }));
    } catch (error) {
      if (ctx.stopped) return;
      const failure = providerFailure(error);
      if (failure.code === 'NOT_FOUND' && (entry.notFound += 1) < NOT_FOUND_POLLS) {
        leases.schedule(jobId, ctx.backoff(entry.notFound, ctx.options.pollMs));
        return;
      }
      if (failure.retryable) {
        entry.failures += 1;
        const delay = ctx.backoff(entry.failures, Math.max(ctx.options.pollMs, failure.retryAfterMs ?? 0));
        ctx.log.warn(`video job ${jobId}: poll failed (${failure.code}); next in ${delay} ms`);
        await ctx.store.update(jobId, { nextPollAt: new Date(Date.now() + delay) });
        leases.schedule(jobId, delay);
        return;
      }
      await this.finisher.finish(job, 'failed', { error: failure.toJSON() });
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
          task.state === 'throttled' ? ctx.backoff(entry.throttledPolls, ctx.options.pollMs) : ctx.pollDelayMs();
        const progress = task.state === 'running' ? task.progress : undefined;
        if (task.state !== job.status) {
          ctx.options.metrics?.jobs.inc({ status: task.state });
          await ctx.report(job, { status: task.state, progress });
        } else if (progress !== undefined && progress !== job.progress) {
          void ctx.report(job, { status: task.state, progress });
        }
        await ctx.store.update(jobId, { status: task.state, progress, nextPollAt: new Date(Date.now() + delay) });
        leases.schedule(jobId, delay);
        return;
      }
      case 'succeeded':
        await this.finisher.download(job, entry, task.outputUrls?.[0]);
        return;
      case 'failed':
        await this.finisher.finish(job, 'failed', {
          error: (
            task.error ?? new ProviderError({ code: 'INTERNAL', retryable: true, message: 'The provider failed' })
          ).toJSON(),
        });
        return;
      case 'cancelled':
        await this.finisher.finish(job, 'cancelled', {});
        return;
    }
  }

  async cancelTask(job: VideoJob): Promise<void> {
    const { ctx } = this;
    if (job.taskId !== undefined) {
      try {
        await ctx.call('cancel', (signal) => ctx.options.provider.cancel(job.taskId!, { signal }));
      } catch (error) {
        if (ctx.stopped) return;
        if (!(error instanceof ProviderError && error.code === 'NOT_FOUND')) {
          const entry = this.leases.get(job.id);
          if (entry !== undefined) {
            entry.failures += 1;
            ctx.log.warn(`video job ${job.id}: cancel failed (${describe(error)}); trying again`);
            this.leases.schedule(job.id, ctx.backoff(entry.failures, ctx.options.pollMs));
            return;
          }
        }
      }
    }
    await this.finisher.finish(job, 'cancelled', {});
  }
}
