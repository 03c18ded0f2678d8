import { z } from 'zod';
import { REQUESTS, REQUEST_TYPES, type RequestType } from '../messages/index.js';
import { serverEventSchema } from '../messages/events.js';
import { ackSchema, errorFrameSchema, helloSchema, pageSchema, pongSchema } from '../messages/server-frames.js';
import { requestIdSchema } from '../workspace.js';

/** One message of the protocol as a whole frame, ready to be written out as a JSON Schema. */
export interface MessageSchema {
  /** The file name under docs/schema/ (without `.json`) and the AsyncAPI message key. */
  readonly name: string;
  /** A client's request, the typed reply to one, another server frame, or an event. */
  readonly kind: 'request' | 'reply' | 'frame' | 'event';
  readonly title: string;
  readonly schema: z.ZodType;
  /** Requests are described as sent (`input`), server frames as received (`output`). */
  readonly io: 'input' | 'output';
  /** For a request: its type. For a reply: the request type it answers. */
  readonly requestType?: RequestType;
}

/** A request frame: the envelope of docs/protocol.md#2-envelopes around the type's data schema. */
function requestFrame(type: RequestType): z.ZodType {
  const data = REQUESTS[type].data as z.ZodType;
  return z.strictObject({ type: z.literal(type), id: requestIdSchema.optional(), data });
}

/** The success reply of a request type: an `ack` carrying its data, or for `ping` the `pong`. */
function replyFrame(type: RequestType): z.ZodType {
  const data = REQUESTS[type].ack as z.ZodType;
  const kind = type === 'ping' ? 'pong' : 'ack';
  return z.strictObject({ type: z.literal(kind), id: z.string().optional(), data });
}

/** The event types, read from the union itself so a new event needs no edit here. */
function eventFrames(): { type: string; schema: z.ZodType }[] {
  return serverEventSchema.options.map((option) => ({ type: option.shape.type.value, schema: option }));
}

/**
 * Every message of the protocol: each request of `REQUESTS` and its typed reply, every server frame,
 * and every event. Adding a request type to `REQUESTS` (or an event to the event union) adds it here.
 */
export function messageSchemas(): MessageSchema[] {
  const messages: MessageSchema[] = [];
  for (const type of REQUEST_TYPES) {
    messages.push({
      name: type,
      kind: 'request',
      title: `${type} request`,
      schema: requestFrame(type),
      io: 'input',
      requestType: type,
    });
    const reply = type === 'ping' ? 'pong' : 'ack';
    messages.push({
      name: `${type}.reply`,
      kind: 'reply',
      title: `${reply} to ${type}`,
      schema: replyFrame(type),
      io: 'output',
      requestType: type,
    });
  }
  messages.push(
    {
      name: 'hello',
      kind: 'frame',
      title: 'hello (first frame on every connection)',
      schema: helloSchema,
      io: 'output',
    },
    { name: 'ack', kind: 'frame', title: 'ack (any request)', schema: ackSchema, io: 'output' },
    { name: 'page', kind: 'frame', title: 'page of a long list or snapshot', schema: pageSchema, io: 'output' },
    { name: 'error', kind: 'frame', title: 'error', schema: errorFrameSchema, io: 'output' },
    { name: 'pong', kind: 'frame', title: 'pong (any ping)', schema: pongSchema, io: 'output' },
  );
  for (const event of eventFrames()) {
    messages.push({
      name: event.type,
      kind: 'event',
      title: `${event.type} event`,
      schema: event.schema,
      io: 'output',
    });
  }
  return messages;
}
