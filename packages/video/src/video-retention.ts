import type { Logger } from '@app/core';
import { FINAL_STATUSES } from './video-job.js';
import type { VideoModels } from './video-job-models.js';
import { STEP_NAMES } from './video-job-steps.js';
import type { VideoStorage } from './video-storage.js';

export interface VideoRetentionOptions {
  models: Pick<VideoModels, 'Job' | 'Lease' | 'Cancel' | 'Step'>;
  storage: Pick<VideoStorage, 'remove'>;
  /** VIDEO_RETENTION_DAYS in ms: a job finished longer ago than this is removed, with its file. */
  retentionMs: number;
  /** Time between sweeps. Default one hour. */
  intervalMs?: number | undefined;
  /** Jobs removed per query (a sweep repeats until none is left). Default 100. */
  batch?: number | undefined;
  logger: Logger;
  /** Clock (tests pass a fake one). */
  now?: (() => number) | undefined;
}

const HOUR_MS = 3_600_000;

/**
 * Removes what a finished video job leaves behind once VIDEO_RETENTION_DAYS have passed since it ended:
 * its file first, then its document (the request with its up-to-1 MB image data URI), its leases, its
 * once-only steps and its cancel request, so storage and the database stay bounded. Unfinished jobs are never touched (they end
 * within VIDEO_JOB_TIMEOUT_MS). Every node may sweep at once: each removal is idempotent, and the file
 * goes before the document, so a crash in between leaves a document the next sweep finds, never a file
 * nothing points to. A failed sweep is logged and tried again at the next interval.
 */
export class VideoRetention {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<number> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: VideoRetentionOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Sweeps now, then every interval (the timer does not keep the process alive). */
  start(): void {
    if (this.timer !== undefined) return;
    const run = (): void => {
      void this.sweep().catch((error: unknown) =>
        this.options.logger.warn(
          `video retention sweep failed: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
    };
    this.timer = setInterval(run, this.options.intervalMs ?? HOUR_MS);
    this.timer.unref();
    run();
  }

  /** Stops the timer and waits for a sweep in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sweeping?.catch(() => {});
  }

  /** Removes every job that ended before the retention cutoff; the number removed. One sweep at a time. */
  sweep(): Promise<number> {
    this.sweeping ??= this.sweepAll().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  private async sweepAll(): Promise<number> {
    const { models, storage } = this.options;
    const batch = this.options.batch ?? 100;
    const cutoff = new Date(this.now() - this.options.retentionMs);
    const expired = { status: { $in: [...FINAL_STATUSES] }, updatedAt: { $lt: cutoff } };
    let removed = 0;
    for (;;) {
      // Ids only: the request (with its image) is never read just to be deleted.
      const docs = await models.Job.find(expired, { _id: 1 }).sort({ updatedAt: 1 }).limit(batch).lean().exec();
      for (const { _id: jobId } of docs) {
        await storage.remove(jobId);
        await models.Job.deleteOne({ _id: jobId, ...expired }).exec();
        await models.Lease.deleteMany({ jobId }).exec();
        await models.Cancel.deleteOne({ _id: jobId }).exec();
        // Its once-only steps, by `_id` (an indexed read on every backend; a filter on jobId scans on FerretDB v1).
        await models.Step.deleteMany({ _id: { $in: STEP_NAMES.map((step) => `${jobId}:${step}`) } }).exec();
        removed += 1;
      }
      if (docs.length < batch) break;
    }
    if (removed > 0) this.options.logger.info(`video retention: removed ${removed} finished job(s) and their files`);
    return removed;
  }
}
