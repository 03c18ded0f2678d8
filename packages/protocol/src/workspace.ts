import { z } from 'zod';
import { MAX_ID_LENGTH, MAX_NAME_LENGTH } from './constants.js';
import { checkJsonObject, isPlainObject, type JsonObject } from './json-value.js';

/** Project and workspace ids: 1-64 characters of [A-Za-z0-9_-]. Strings only, so no operator can reach a query. */
export const idSchema = z
  .string()
  .min(1)
  .max(MAX_ID_LENGTH)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be 1-64 characters of A-Z, a-z, 0-9, "_" or "-"');

/** A request id: any string of 1-64 characters without NUL. */
export const requestIdSchema = z
  .string()
  .min(1)
  .max(MAX_ID_LENGTH)
  .refine((s) => !s.includes('\u0000'), 'must not contain NUL');

/** A UTF-16 surrogate without its pair: not a character, and not storable as UTF-8 text. */
export const LONE_SURROGATE = /\p{Cs}/u;

export const nameSchema = z
  .string()
  .min(1)
  .max(MAX_NAME_LENGTH)
  .refine((s) => !s.includes('\u0000'), 'must not contain NUL')
  .refine((s) => !LONE_SURROGATE.test(s), 'must be Unicode text (no lone surrogate)');

/** A workspace's free-form `data`: a JSON object within the limits of `checkJsonObject`. */
export const jsonObjectSchema = z.custom<JsonObject>().superRefine((value, ctx) => {
  const issue = checkJsonObject(value);
  if (issue !== undefined) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
});

const isoDate = z.string().datetime({ offset: true });

/** A video job's status: queued (including while it is being submitted), throttled by the provider, running, then one of the final three. */
export const videoStatusSchema = z.enum(['queued', 'throttled', 'running', 'succeeded', 'failed', 'cancelled']);
export type VideoStatus = z.infer<typeof videoStatusSchema>;

/** Why a video job failed; `retryable`: whether generating again may work (false for moderation refusals). */
export const videoErrorSchema = z.strictObject({
  code: z.string().min(1).max(100),
  message: z.string().max(1000),
  retryable: z.boolean(),
});
export type VideoError = z.infer<typeof videoErrorSchema>;

/** The latest status of a workspace's video job (`workspace.video`, and the data of `video.status_update`). */
export const videoSchema = z.strictObject({
  jobId: z.string().min(1).max(64),
  status: videoStatusSchema,
  /** 0 to 1, while running. */
  progress: z.number().min(0).max(1).optional(),
  /** The server's own URL of the finished video (`/videos/<jobId>.mp4`), never the provider's. */
  videoUrl: z.string().optional(),
  error: videoErrorSchema.optional(),
});
export type Video = z.infer<typeof videoSchema>;

/** A workspace as the server sends it. */
export const workspaceSchema = z.strictObject({
  id: idSchema,
  projectId: idSchema,
  name: z.string(),
  position: z.number().int().nonnegative(),
  version: z.number().int().positive(),
  // Taken as it is (a record schema would copy it and drop a `__proto__` key).
  data: z.custom<Record<string, unknown>>(isPlainObject, 'expected a JSON object'),
  video: videoSchema.optional(),
  createdAt: isoDate,
  updatedAt: isoDate,
});
export type Workspace = z.infer<typeof workspaceSchema>;
