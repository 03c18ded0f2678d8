// The wire text of every frame, for the server and the client alike. No zod here (only type imports):
// a browser bundle of the client imports this module alone (`@app/protocol/encode`).
import { PROTOCOL_VERSION } from './constants.js';
import type { ProtocolError } from './errors.js';
import type { RequestData, RequestType } from './messages/index.js';
import type { ServerEvent } from './messages/events.js';
import type { ErrorFrame, Hello } from './messages/server-frames.js';

/** What `hello` tells a new connection, besides the protocol version this package speaks. */
export type HelloFields = Omit<Hello['data'], 'protocol'>;

/** The wire text of `hello`, the first frame on every connection. */
export function encodeHello(fields: HelloFields): string {
  const data: Hello['data'] = {
    protocol: PROTOCOL_VERSION,
    sessionId: fields.sessionId,
    heartbeatMs: fields.heartbeatMs,
    maxMessageBytes: fields.maxMessageBytes,
  };
  return JSON.stringify({ type: 'hello', data });
}

/** The wire text of a request; `data` is left out when undefined (a `ping` needs none). */
export function encodeRequest<TType extends RequestType>(
  type: TType,
  id: string,
  data: RequestData<TType> | undefined,
): string {
  return JSON.stringify(data === undefined ? { type, id } : { type, id, data });
}

/** The wire text of an error reply. */
export function encodeError(error: ProtocolError, id?: string): string {
  const frame: ErrorFrame = { type: 'error', code: error.code, message: error.message };
  if (id !== undefined) frame.id = id;
  if (error.details !== undefined) frame.details = error.details;
  return JSON.stringify(frame);
}

/** The wire text of an ack. */
export function encodeAck(data: unknown, id?: string): string {
  return JSON.stringify(id === undefined ? { type: 'ack', data } : { type: 'ack', id, data });
}

/** Bytes of a string as UTF-8 (without encoding it). */
function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    else if (code >= 0xd800 && code <= 0xdbff)
      i += 1; // a surrogate pair: 4 bytes for 2 UTF-16 units
    else bytes += 2;
  }
  return bytes;
}

function encodePage(items: string[], id?: string): string {
  const head = id === undefined ? '{"type":"page"' : `{"type":"page","id":${JSON.stringify(id)}`;
  return `${head},"data":{"workspaces":[${items.join(',')}]}}`;
}

/**
 * The frames of an ack whose list (`field`: `workspaces` of a list, `snapshot` of a subscribe) may
 * not fit in one frame of `maxBytes`: `page` frames with the first workspaces, in order, then the
 * ack with the rest. Just the ack when it fits. A page holds at least one workspace.
 */
export function encodePagedAck(data: Record<string, unknown>, field: string, maxBytes: number, id?: string): string[] {
  const whole = encodeAck(data, id);
  const items = data[field];
  if (!Array.isArray(items) || utf8Length(whole) <= maxBytes) return [whole];
  const overhead = Math.max(utf8Length(encodeAck({ ...data, [field]: [] }, id)), utf8Length(encodePage([], id)));
  const budget = maxBytes - overhead;
  const frames: string[] = [];
  let page: string[] = [];
  let pageBytes = 0;
  let start = 0;
  for (let i = 0; i < items.length; i += 1) {
    const text = JSON.stringify(items[i]);
    const bytes = utf8Length(text) + (page.length > 0 ? 1 : 0);
    if (page.length > 0 && pageBytes + bytes > budget) {
      frames.push(encodePage(page, id));
      start = i;
      page = [];
      pageBytes = 0;
    }
    pageBytes += utf8Length(text) + (page.length > 0 ? 1 : 0);
    page.push(text);
  }
  frames.push(encodeAck({ ...data, [field]: items.slice(start) }, id));
  return frames;
}

/** The wire text of a pong (written out, not built as an object: it answers every ping, and this is half the cost). */
export function encodePong(ts: string, id?: string): string {
  const data = `"data":{"ts":${JSON.stringify(ts)}}}`;
  return id === undefined ? `{"type":"pong",${data}` : `{"type":"pong","id":${JSON.stringify(id)},${data}`;
}

/** The wire text of an event; encode once per broadcast, not per subscriber. */
export function encodeEvent(event: ServerEvent): string {
  return JSON.stringify(event);
}
