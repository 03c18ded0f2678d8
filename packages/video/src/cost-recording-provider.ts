import type { Logger } from '@app/core';
import type { VideoJobCosts } from './video-job-costs.js';
import type { VideoMetrics } from './video-metrics.js';
import type { CreatedTask, ProviderCallOptions, ProviderTask, VideoProvider, VideoRequest } from './video-provider.js';

export interface CostRecordingOptions {
  costs: Pick<VideoJobCosts, 'recordEstimatedCost' | 'recordCost'>;
  metrics?: Pick<VideoMetrics, 'creditsSpent'> | undefined;
  logger: Logger;
}

/**
 * A provider that books what tasks cost: the provider's own estimate on the job while its task runs, and
 * the final cost once it ended, on the job and in `video_credits_spent_total` by the subject who asked.
 * It wraps the provider the pipeline calls, so it writes only inside the lease holder's own poll, before
 * the pipeline acts on the answer (no write of its own races the holder's). Each figure is written once
 * per job (the store's condition), so a task polled again after its end is not counted twice. A failed
 * write is logged and the poll goes on: bookkeeping never fails a job.
 */
export class CostRecordingProvider implements VideoProvider {
  constructor(
    private readonly inner: VideoProvider,
    private readonly options: CostRecordingOptions,
  ) {}

  get name(): string {
    return this.inner.name;
  }

  create(request: VideoRequest, options?: ProviderCallOptions): Promise<CreatedTask> {
    return this.inner.create(request, options);
  }

  async get(taskId: string, options?: ProviderCallOptions): Promise<ProviderTask> {
    const task = await this.inner.get(taskId, options);
    try {
      if (task.cost !== undefined) {
        const job = await this.options.costs.recordCost(taskId, task.cost);
        if (job !== undefined) {
          this.options.metrics?.creditsSpent.inc({ subject: job.requestedBy ?? 'anonymous' }, task.cost);
          this.options.logger.info(`video job ${job.id}: task ${taskId} cost ${task.cost} credits`);
        }
      } else if (task.estimatedCost !== undefined) {
        await this.options.costs.recordEstimatedCost(taskId, task.estimatedCost);
      }
    } catch (error) {
      this.options.logger.warn(
        `video task ${taskId}: cost not recorded: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    return task;
  }

  cancel(taskId: string, options?: ProviderCallOptions): Promise<void> {
    return this.inner.cancel(taskId, options);
  }
}
