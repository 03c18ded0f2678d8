import type { VideoJob, VideoJobError, VideoJobStatus } from './video-job.js';

/** One status change of a job, as `video.status_update` carries it. */
export interface VideoStatusUpdate {
  status: VideoJobStatus;
  /** 0 to 1, while running. */
  progress?: number | undefined;
  /** Ours (`/videos/<jobId>.mp4`), when succeeded. */
  videoUrl?: string | undefined;
  error?: VideoJobError | undefined;
}

/**
 * Where status changes leave the pipeline (the event log, in the server). Called in order per job; a
 * rejection is logged and the pipeline goes on (the next update, and the final one, are still sent).
 */
export interface VideoStatusSink {
  record(job: VideoJob, update: VideoStatusUpdate): Promise<void>;
}
