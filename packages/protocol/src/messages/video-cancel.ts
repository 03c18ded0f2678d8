import { z } from 'zod';
import { videoJobSchema } from '../video-job.js';
import { idSchema } from '../workspace.js';

/** `video.cancel`: cancels the workspace's active video job (NOT_FOUND when it has none); the ack carries the job. */
export const videoCancel = {
  type: 'video.cancel',
  data: z.strictObject({ workspaceId: idSchema }),
  ack: z.strictObject({ job: videoJobSchema }),
  examples: {
    valid: [{ workspaceId: 'w1' }],
    invalid: [{}, { workspaceId: '' }],
  },
} as const;
