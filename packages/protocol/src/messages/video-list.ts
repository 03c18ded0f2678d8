import { z } from 'zod';
import { videoJobSchema } from '../video-job.js';
import { idSchema } from '../workspace.js';

/** Most jobs `video.list` answers (the newest); older ones are removed by retention anyway. */
export const MAX_VIDEO_LIST_LENGTH = 100;

/**
 * `video.list`: the workspace's video jobs, newest first (at most `MAX_VIDEO_LIST_LENGTH`), finished ones
 * included until VIDEO_RETENTION_DAYS removes them. Authorised like reading the workspace; changes nothing.
 */
export const videoList = {
  type: 'video.list',
  data: z.strictObject({ workspaceId: idSchema }),
  ack: z.strictObject({ jobs: z.array(videoJobSchema).max(MAX_VIDEO_LIST_LENGTH) }),
  examples: {
    valid: [{ workspaceId: 'w1' }],
    invalid: [{}, { workspaceId: '' }, { workspaceId: 'w1', limit: 5 }],
  },
} as const;
