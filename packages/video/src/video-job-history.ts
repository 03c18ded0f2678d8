import { isFinal, type VideoJob } from './video-job.js';
import type { VideoJobDoc, VideoModels } from './video-job-models.js';
import type { JobOutcome } from './video-job-steps.js';

/**
 * A workspace's video jobs, newest first: what `video.list` answers. The stored request is not read (it
 * may hold an image data URI of up to 1 MB per job), so each job comes back with an empty `request`.
 *
 * A job's outcome is decided by its `final` step, and the job document follows it only after the final
 * status is in the project log (docs/decisions/0012-video-job-fencing.md): a job whose document is not
 * final yet is shown with its decided outcome, so the list never lags behind what subscribers saw.
 */
export async function workspaceJobs(
  models: Pick<VideoModels, 'Job' | 'Step'>,
  workspaceId: string,
  limit: number,
): Promise<VideoJob[]> {
  const docs = await models.Job.find({ workspaceId }, { request: 0 })
    .sort({ createdAt: -1 })
    .limit(limit)
    .lean<Omit<VideoJobDoc, 'request'>[]>()
    .exec();
  return Promise.all(
    docs.map(async ({ _id, ...rest }) => {
      const job: VideoJob = { ...rest, id: _id, request: {} };
      return isFinal(job.status) ? job : withDecidedOutcome(models, job);
    }),
  );
}

/** The job with the outcome of its `final` step, when one is stored (a point read by `_id`). */
export async function withDecidedOutcome(models: Pick<VideoModels, 'Step'>, job: VideoJob): Promise<VideoJob> {
  const step = await models.Step.findById(`${job.id}:final`, { outcome: 1 }).lean<{ outcome?: string }>().exec();
  if (step?.outcome === undefined) return job;
  const { cancelTask: _cancelTask, ...outcome } = JSON.parse(step.outcome) as JobOutcome;
  return { ...job, ...outcome };
}
