import type { VideoJob } from './video-job.js';
import type { VideoJobDoc, VideoModels } from './video-job-models.js';

/**
 * A workspace's video jobs, newest first: what `video.list` answers. The stored request is not read (it
 * may hold an image data URI of up to 1 MB per job), so each job comes back with an empty `request`.
 */
export async function workspaceJobs(
  models: Pick<VideoModels, 'Job'>,
  workspaceId: string,
  limit: number,
): Promise<VideoJob[]> {
  const docs = await models.Job.find({ workspaceId }, { request: 0 })
    .sort({ createdAt: -1 })
    .limit(limit)
    .lean<Omit<VideoJobDoc, 'request'>[]>()
    .exec();
  return docs.map(({ _id, ...rest }) => ({ ...rest, id: _id, request: {} }));
}
