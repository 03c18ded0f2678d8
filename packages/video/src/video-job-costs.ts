import { jobOf } from './video-job-store.js';
import type { VideoJob } from './video-job.js';
import type { VideoJobDoc, VideoModels } from './video-job-models.js';

/**
 * What a job cost, stored on the job of a provider task. Each figure is written once (the filter holds
 * `$exists: false`), so polling a finished task again neither rewrites nor counts it twice.
 */
export class VideoJobCosts {
  constructor(private readonly models: Pick<VideoModels, 'Job'>) {}

  /** Stores the provider's first estimate (credits) on the job of `taskId`; true when this call wrote it. */
  async recordEstimatedCost(taskId: string, credits: number): Promise<boolean> {
    const result = await this.models.Job.updateOne(
      { taskId, estimatedCost: { $exists: false } },
      { $set: { estimatedCost: credits } },
    ).exec();
    return result.modifiedCount === 1;
  }

  /** Stores the final cost (credits) on the job of `taskId` unless it has one: the job, when this call wrote it. */
  async recordCost(taskId: string, credits: number): Promise<VideoJob | undefined> {
    const result = await this.models.Job.updateOne(
      { taskId, cost: { $exists: false } },
      { $set: { cost: credits } },
    ).exec();
    if (result.modifiedCount !== 1) return undefined;
    const doc = await this.models.Job.findOne({ taskId }).lean<VideoJobDoc>().exec();
    return doc === null ? undefined : jobOf(doc);
  }
}
