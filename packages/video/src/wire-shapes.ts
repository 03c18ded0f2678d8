import { estimatedVideoCredits, type EventData, type VideoJobInfo } from '@app/protocol';
import { publicStatus, type VideoJob } from './video-job.js';
import type { VideoStatusUpdate } from './video-status-sink.js';

/** A job as acks carry it (`videoJobSchema` of @app/protocol): client-facing status, ISO time, no internals. */
export function toVideoJobInfo(job: VideoJob): VideoJobInfo {
  const info: VideoJobInfo = {
    id: job.id,
    workspaceId: job.workspaceId,
    status: publicStatus(job.status),
    createdAt: job.createdAt.toISOString(),
  };
  if (job.progress !== undefined) info.progress = job.progress;
  if (job.videoUrl !== undefined) info.videoUrl = job.videoUrl;
  if (job.error !== undefined) info.error = job.error;
  // Shown from the first ack on: the catalogue's price until the provider's own figure is known.
  const estimatedCost = job.estimatedCost ?? estimatedVideoCredits(job.request);
  if (estimatedCost !== undefined) info.estimatedCost = estimatedCost;
  if (job.cost !== undefined) info.cost = job.cost;
  return info;
}

/** The data of the `video.status_update` event for one update of a job. */
export function toStatusEventData(
  job: Pick<VideoJob, 'id' | 'workspaceId'>,
  update: VideoStatusUpdate,
): EventData<'video.status_update'> {
  const data: EventData<'video.status_update'> = { workspaceId: job.workspaceId, jobId: job.id, status: update.status };
  if (update.progress !== undefined) data.progress = update.progress;
  if (update.videoUrl !== undefined) data.videoUrl = update.videoUrl;
  if (update.error !== undefined) data.error = update.error;
  return data;
}
