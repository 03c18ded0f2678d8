import { z } from 'zod';
import { videoJobSchema } from '../video-job.js';
import { idSchema } from '../workspace.js';

/**
 * `video.generate`: starts a video job for a workspace (one active job per workspace, CONFLICT otherwise).
 * Without `promptImage` it is text to video; `prompt` then is required by the provider.
 */
export const videoGenerate = {
  type: 'video.generate',
  data: z.strictObject({
    workspaceId: idSchema,
    prompt: z.string().min(1).max(1000).optional(),
    model: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/)
      .optional(),
    /** `width:height` as the provider names it, e.g. `1280:720`. */
    ratio: z
      .string()
      .regex(/^\d{2,4}:\d{2,4}$/)
      .optional(),
    /** Seconds. */
    duration: z.number().int().min(1).max(60).optional(),
    /** HTTPS URL or data URI of the first frame. */
    promptImage: z
      .string()
      .max(5 * 1024 * 1024)
      .regex(/^(https:\/\/|data:image\/)/, 'must be an https:// URL or a data:image/ URI')
      .optional(),
    seed: z.number().int().min(0).max(4_294_967_295).optional(),
  }),
  ack: z.strictObject({ job: videoJobSchema }),
  examples: {
    valid: [
      { workspaceId: 'w1', prompt: 'a red fox at dawn' },
      { workspaceId: 'w1', prompt: 'slow pan', model: 'gen4.5', ratio: '1280:720', duration: 5, seed: 42 },
      { workspaceId: 'w1', promptImage: 'https://example.com/frame.png', model: 'gen4_turbo' },
    ],
    invalid: [{}, { workspaceId: 'w1', duration: 0 }, { workspaceId: 'w1', promptImage: 'http://insecure' }],
  },
} as const;
