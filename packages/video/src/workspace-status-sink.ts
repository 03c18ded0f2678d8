import type { WorkspaceService } from '@app/core';
import type { VideoJob } from './video-job.js';
import type { VideoStatusSink, VideoStatusUpdate } from './video-status-sink.js';
import { toStatusEventData } from './wire-shapes.js';

/**
 * The sink of the server: each status is a `video.status_update` event in the project's event log,
 * written through the one write path (so it has a seq, is replayed and resumed like every event, and
 * the workspace's `video` follows it). A stale update (an ended or replaced job) is refused there.
 */
export class WorkspaceStatusSink implements VideoStatusSink {
  constructor(private readonly service: Pick<WorkspaceService, 'recordVideoStatus'>) {}

  record(job: VideoJob, update: VideoStatusUpdate): Promise<void> {
    return this.service.recordVideoStatus(job.projectId, toStatusEventData(job, update));
  }
}
