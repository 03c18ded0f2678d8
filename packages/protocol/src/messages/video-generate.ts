import { z } from 'zod';
import { videoJobSchema } from '../video-job.js';
import { MAX_VIDEO_PROMPT_LENGTH, VIDEO_DURATION_RANGE, VIDEO_MODEL_IDS, VIDEO_RATIOS } from '../video-models.js';
import { idSchema } from '../workspace.js';

/**
 * `video.generate`: starts a video job for a workspace (one active job per workspace, CONFLICT otherwise).
 * Without `promptImage` it is text to video. The schema takes any value some model takes; the server then
 * checks the request against the model catalogue (`checkVideoRequest`: the model's input modes, ratios,
 * durations, whether a prompt is required) before any job exists, and fills the model's defaults.
 */
export const videoGenerate = {
  type: 'video.generate',
  data: z.strictObject({
    workspaceId: idSchema,
    /** Up to the model's `promptMaxLength` (1,000 UTF-16 code units for every Runway model offered). */
    prompt: z.string().min(1).max(MAX_VIDEO_PROMPT_LENGTH).optional(),
    /** A model of the catalogue (`VIDEO_MODELS`); default `gen4.5` for text, `gen4_turbo` for an image. */
    model: z.enum(VIDEO_MODEL_IDS).optional(),
    /** `width:height` as the provider names it, e.g. `1280:720`; which ones depends on the model. */
    ratio: z.enum(VIDEO_RATIOS as [string, ...string[]]).optional(),
    /** Whole seconds; which ones depends on the model (default: the model's `defaultDuration`). */
    duration: z.number().int().min(VIDEO_DURATION_RANGE.min).max(VIDEO_DURATION_RANGE.max).optional(),
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
    invalid: [
      {},
      { workspaceId: 'w1', duration: 0 },
      { workspaceId: 'w1', promptImage: 'http://insecure' },
      { workspaceId: 'w1', prompt: 'fox', model: 'gen3a_turbo' },
      { workspaceId: 'w1', prompt: 'fox', ratio: '1920:1081' },
      { workspaceId: 'w1', prompt: 'x'.repeat(MAX_VIDEO_PROMPT_LENGTH + 1) },
    ],
  },
} as const;
