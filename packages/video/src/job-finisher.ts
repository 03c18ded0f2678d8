import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { HeldJob, Next } from './job-leases.js';
import { describe, type PipelineContext } from './pipeline-context.js';
import { ProviderError } from './provider-error.js';
import { isFinal, videoUrlOf, type VideoJob } from './video-job.js';
import type { JobOutcome } from './video-job-steps.js';
import type { VideoStatusUpdate } from './video-status-sink.js';

/** Failed downloads of a finished video before the job fails DOWNLOAD_FAILED (a new poll gets a fresh URL each time). */
const DOWNLOAD_ATTEMPTS = 5;
/** Failed DELETEs of a task (cancel or timeout) before the job ends anyway, the task id logged. */
const CANCEL_ATTEMPTS = 3;
/** The largest video downloaded when the setting is not given. */
const DEFAULT_MAX_BYTES = 512 * 1024 * 1024;

/**
 * The end of a job: its outcome decided once (the `final` step: the first holder to insert it decides,
 * any other adopts it), then completed: the provider task cancelled if the outcome says so (never a
 * finished one), the final status stored in the log (tried until stored), the in-flight slot and the
 * workspace freed, the job document written, the leases dropped. Completing runs again after any
 * failure or crash, because the job stays active in its document until the last of these.
 */
export class JobFinisher {
  constructor(private readonly ctx: PipelineContext) {}

  /** Decides the outcome (unless another holder already did) and completes the job with the stored one. */
  async decide(job: VideoJob, epoch: number, outcome: JobOutcome, entry?: HeldJob): Promise<Next> {
    const { ctx } = this;
    const { mine, record } = await ctx.store.steps.insert(job.id, 'final', { epoch }, { outcome });
    if (mine) {
      ctx.options.metrics?.jobs.inc({ status: outcome.status });
      const level = outcome.status === 'failed' ? 'warn' : 'info';
      ctx.log[level](
        `video job ${job.id} ${outcome.status}${outcome.error === undefined ? '' : `: ${outcome.error.code}`}`,
      );
    }
    return this.complete(job, epoch, record.outcome ?? outcome, entry);
  }

  /** Completes a job whose outcome is decided. */
  async complete(job: VideoJob, epoch: number, outcome: JobOutcome, entry?: HeldJob): Promise<Next> {
    const { ctx } = this;
    const { store } = ctx;
    if (outcome.cancelTask === true && entry !== undefined && entry.cancelFailures < CANCEL_ATTEMPTS) {
      const taskId = (await store.steps.get(job.id, 'task'))?.taskId ?? undefined;
      const finished =
        taskId !== undefined &&
        (entry.outputStored !== undefined || (await store.steps.get(job.id, 'output')) !== undefined);
      if (taskId !== undefined && !finished && !(await this.cancelAtProvider(job, taskId))) {
        entry.cancelFailures += 1;
        if (entry.cancelFailures < CANCEL_ATTEMPTS) return ctx.backoff(entry.cancelFailures, ctx.options.pollMs);
        ctx.log.warn(`video job ${job.id}: provider task ${taskId} could not be cancelled; it may still run`);
      }
    }
    const update: VideoStatusUpdate = { status: outcome.status };
    if (outcome.progress !== undefined) update.progress = outcome.progress;
    if (outcome.videoUrl !== undefined) update.videoUrl = outcome.videoUrl;
    if (outcome.error !== undefined) update.error = outcome.error;
    // The workspace is freed only once the log has the final status: clients never see a freed workspace
    // still `running`, and its next job's `queued` is never refused.
    const reported = await ctx.report(job, update);
    if (reported === 'dropped') return 'done'; // stopping or lease lost: the next holder completes it
    await store.steps.releaseSlot(job.id);
    await store.releaseWorkspace(job.workspaceId, job.id);
    const { cancelTask: _cancelTask, ...fields } = outcome;
    if (!(await store.update(job.id, fields, epoch))) {
      const current = await store.get(job.id);
      // Refused (a newer holder wrote the job, or the write raced): the job stays active, so it is completed again.
      if (current !== undefined && !isFinal(current.status))
        throw new Error(`video job ${job.id}: final write refused`);
    }
    await store.dropLeases(job.id);
    return 'done';
  }

  /** DELETE of a task that has not finished: true when done (or already gone); a finished task is never deleted. */
  private async cancelAtProvider(job: VideoJob, taskId: string): Promise<boolean> {
    const { ctx } = this;
    try {
      // Only a task known not to have finished is cancelled (Runway's DELETE of a finished task deletes its
      // video): when its state cannot be read, the DELETE waits for the next attempt.
      const task = await ctx.call('get', (signal) => ctx.options.provider.get(taskId, { signal }));
      if (task.state === 'succeeded' || task.state === 'failed' || task.state === 'cancelled') return true;
      await ctx.call('cancel', (signal) => ctx.options.provider.cancel(taskId, { signal }));
      return true;
    } catch (error) {
      if (error instanceof ProviderError && error.code === 'NOT_FOUND') return true;
      ctx.log.warn(`video job ${job.id}: cancel of provider task ${taskId} failed (${describe(error)})`);
      return false;
    }
  }

  /** Downloads the output into our storage, then decides `succeeded` with our URL (never the provider's). */
  async download(job: VideoJob, entry: HeldJob, outputUrl: string | undefined): Promise<Next> {
    const { ctx } = this;
    try {
      if (outputUrl === undefined) throw new Error('the provider reported no output');
      const maxBytes = ctx.options.maxVideoBytes ?? DEFAULT_MAX_BYTES;
      const fetchVideo = ctx.options.fetchVideo ?? fetch;
      const stored = await ctx.call(
        'download',
        async (signal) => {
          const response = await fetchVideo(outputUrl, { signal });
          if (!response.ok || response.body === null) throw new Error(`download answered ${response.status}`);
          const type = response.headers.get('content-type') ?? '';
          if (!/^video\//i.test(type)) throw new Error(`download is not a video (${type || 'no content type'})`);
          const length = Number(response.headers.get('content-length') ?? Number.NaN);
          if (length > maxBytes) throw new Error(`download is ${length} bytes, more than ${maxBytes}`);
          const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>, { signal });
          return ctx.options.storage.put(job.id, body, { maxBytes });
        },
        ctx.options.downloadTimeoutMs,
      );
      return await this.decide(
        job,
        entry.lease.epoch,
        {
          status: 'succeeded',
          progress: 1,
          videoUrl: videoUrlOf(job.id),
          sha256: stored.sha256,
          bytes: stored.bytes,
        },
        entry,
      );
    } catch (error) {
      if (ctx.stopped) return 'done';
      // Counted apart from the polls: a good poll between two failed downloads does not reset it.
      entry.downloadFailures += 1;
      if (entry.downloadFailures >= DOWNLOAD_ATTEMPTS) {
        ctx.log.warn(`video job ${job.id}: download failed ${entry.downloadFailures} times (${describe(error)})`);
        return this.decide(
          job,
          entry.lease.epoch,
          {
            status: 'failed',
            error: {
              code: 'DOWNLOAD_FAILED',
              message: 'The finished video could not be downloaded into storage',
              retryable: true,
            },
          },
          entry,
        );
      }
      const delay = ctx.backoff(entry.downloadFailures, ctx.options.pollMs);
      ctx.log.warn(`video job ${job.id}: download failed (${describe(error)}); next try in ${delay} ms`);
      return delay; // the next poll fetches the task again, with fresh output URLs
    }
  }
}
