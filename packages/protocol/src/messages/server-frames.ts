import { z } from 'zod';
import { ERROR_CODE_LIST, type ErrorCode } from '../errors.js';
import { workspaceSchema } from '../workspace.js';

/** `hello`: the first frame on every connection. */
export const helloSchema = z.strictObject({
  type: z.literal('hello'),
  data: z.strictObject({
    protocol: z.literal(1),
    sessionId: z.string(),
    heartbeatMs: z.number().int().positive(),
    maxMessageBytes: z.number().int().positive(),
  }),
});
export type Hello = z.infer<typeof helloSchema>;

/** `ack`: success reply to a request; `data` depends on the request type. */
export const ackSchema = z.strictObject({
  type: z.literal('ack'),
  id: z.string().optional(),
  data: z.unknown(),
});
export type Ack = z.infer<typeof ackSchema>;

/** `error`: failed request, or a frame that could not be read. */
export const errorFrameSchema = z.strictObject({
  type: z.literal('error'),
  id: z.string().optional(),
  code: z.enum(ERROR_CODE_LIST as [ErrorCode, ...ErrorCode[]]),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type ErrorFrame = z.infer<typeof errorFrameSchema>;

/** `pong`: reply to `ping`. */
export const pongSchema = z.strictObject({
  type: z.literal('pong'),
  id: z.string().optional(),
  data: z.strictObject({ ts: z.string() }),
});
export type Pong = z.infer<typeof pongSchema>;

/**
 * `page`: part of a reply too large for one frame (a `workspace.list` or a `subscribe` snapshot).
 * The pages of a reply come in order before its `ack`, with its `id`; the reply's list is the
 * workspaces of every page followed by those of the ack.
 */
export const pageSchema = z.strictObject({
  type: z.literal('page'),
  id: z.string().optional(),
  data: z.strictObject({ workspaces: z.array(workspaceSchema) }),
});
export type Page = z.infer<typeof pageSchema>;
