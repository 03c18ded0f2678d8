import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { JobLeases, HeldJob } from './job-leases.js';
import { describe, type PipelineContext } from './pipeline-context.js';
import { videoUrlOf, type VideoJob, type VideoJobError } from './video-job.js';
import type { VideoStatusUpdate } from './video-status-sink.js';

/** Consecutive failed downloads before the job fails (the output URL may have expired; a new poll gets a fresh one). */
const DOWNLOAD_ATTEMPTS = 5;

export type FinalStatus = 'succeeded' | 'failed' | 'cancelled';
export interface FinalExtra {
  error?: VideoJobError;
  progress?: number;
  videoUrl?: string;
  sha256?: string;
  bytes?: number;
}

/** The end of a job: the download of a finished video into our storage, and the final status. */
export class JobFinisher {
  constructor(
    private readonly ctx: PipelineContext,
    private readonly leases: JobLeases,
  ) {}

  /** Downloads the output into our storage, then reports `succeeded` with our URL (never the provider's). */
  async download(job: VideoJob, entry: HeldJob, outputUrl: string | undefined): Promise<void> {
    const { ctx } = this;
    try {
      if (outputUrl === undefined) throw new Error('the provider reported no output');
      const stored = await ctx.call('download', async (stopSignal) => {
        const signal = AbortSignal.any([stopSignal, AbortSignal.timeout(ctx.options.downloadTimeoutMs)]);
        const response = await fetch(outputUrl, { signal });
        if (!response.ok || response.body === null) throw new Error(`download answered ${response.status}`);
        return ctx.options.storage.put(
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
      if (ctx.stopped) return;
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
      const delay = ctx.backoff(entry.failures, ctx.options.pollMs);
      ctx.log.warn(`video job ${job.id}: download failed (${describe(error)}); next try in ${delay} ms`);
      this.leases.schedule(job.id, delay); // the next poll fetches the task again, with fresh output URLs
    }
  }

  /** Reports the final status, writes it, frees the workspace and the leases. */
  async finish(job: VideoJob, status: FinalStatus, extra: FinalExtra): Promise<void> {
    const { ctx } = this;
    const update: VideoStatusUpdate = { status };
    if (extra.progress !== undefined) update.progress = extra.progress;
    if (extra.videoUrl !== undefined) update.videoUrl = extra.videoUrl;
    if (extra.error !== undefined) update.error = extra.error;
    await ctx.report(job, update);
    const written = await ctx.store.update(job.id, { status, ...extra });
    if (written !== undefined) {
      ctx.options.metrics?.jobs.inc({ status });
      const level = status === 'failed' ? 'warn' : 'info';
      ctx.log[level](`video job ${job.id} ${status}${extra.error === undefined ? '' : `: ${extra.error.code}`}`);
    }
    await ctx.store.releaseWorkspace(job.workspaceId, job.id);
    await ctx.store.dropLeases(job.id);
    this.leases.drop(job.id);
  }
}
