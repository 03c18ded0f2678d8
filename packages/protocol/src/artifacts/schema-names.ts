import type { z } from 'zod';
import { originSchema } from '../messages/events.js';
import { errorFrameSchema } from '../messages/server-frames.js';
import { videoJobSchema } from '../video-job.js';
import { jsonObjectSchema, videoErrorSchema, videoSchema, videoStatusSchema, workspaceSchema } from '../workspace.js';

/**
 * The schemas shared by several messages, under the names a person would use for them. Each becomes one
 * named component of docs/asyncapi.json and docs/openapi.json (and one model in a generated client);
 * every other object, enum or union is named after where it sits (see `derivedName`).
 */
export const NAMED_SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  Workspace: workspaceSchema,
  Video: videoSchema,
  VideoStatus: videoStatusSchema,
  VideoError: videoErrorSchema,
  VideoJob: videoJobSchema,
  Origin: originSchema,
  JsonObject: jsonObjectSchema,
  ErrorCode: errorFrameSchema.shape.code,
};

/** Frames whose protocol name would make a poor type name in a client (`Error` hides the language's own). */
const FRAME_NAMES: Readonly<Record<string, string>> = { error: 'ErrorFrame' };

/** A protocol name as a type name: `workspace.create` -> `WorkspaceCreate`, `video.status_update` -> `VideoStatusUpdate`. */
export function pascalName(name: string): string {
  return (
    FRAME_NAMES[name] ??
    name
      .split(/[^A-Za-z0-9]+/)
      .filter((part) => part !== '')
      .map((part) => part[0]!.toUpperCase() + part.slice(1))
      .join('')
  );
}
