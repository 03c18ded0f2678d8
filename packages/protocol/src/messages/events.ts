import { z } from 'zod';
import { idSchema, videoSchema, workspaceSchema } from '../workspace.js';

/** Who caused an event: the WebSocket request, or another source (REST, video pipeline). */
export const originSchema = z.union([
  z.strictObject({ sessionId: z.string(), requestId: z.string().optional() }),
  z.strictObject({ source: z.string() }),
]);
export type Origin = z.infer<typeof originSchema>;

/** Data carried by each event type. */
export const eventDataSchemas = {
  'workspace.created': z.strictObject({ workspace: workspaceSchema }),
  'workspace.updated': z.strictObject({ workspace: workspaceSchema }),
  'workspace.deleted': z.strictObject({ id: idSchema }),
  'workspace.reordered': z.strictObject({ order: z.array(idSchema) }),
  'video.status_update': videoSchema.extend({ workspaceId: idSchema }),
} as const;

export type EventType = keyof typeof eventDataSchemas;
export type EventData<TType extends EventType> = z.infer<(typeof eventDataSchemas)[TType]>;

function eventSchema<TType extends EventType>(type: TType) {
  return z.strictObject({
    type: z.literal(type),
    projectId: idSchema,
    seq: z.number().int().positive(),
    data: eventDataSchemas[type],
    origin: originSchema.optional(),
  });
}

/** Every event a subscriber can receive, discriminated by `type`. */
export const serverEventSchema = z.discriminatedUnion('type', [
  eventSchema('workspace.created'),
  eventSchema('workspace.updated'),
  eventSchema('workspace.deleted'),
  eventSchema('workspace.reordered'),
  eventSchema('video.status_update'),
]);
export type ServerEvent = z.infer<typeof serverEventSchema>;
/** The event of one type. */
export type ServerEventOf<TType extends EventType> = Extract<ServerEvent, { type: TType }>;
