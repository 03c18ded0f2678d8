import type { z } from 'zod';
import { MAX_ECHOED_TYPE_LENGTH, MAX_ID_LENGTH } from './constants.js';
import { ProtocolError } from './errors.js';
import {
  REQUESTS,
  ackSchema,
  errorFrameSchema,
  helloSchema,
  pageSchema,
  isRequestType,
  pongSchema,
  serverEventSchema,
  type Ack,
  type ErrorFrame,
  type Hello,
  type Page,
  type ParsedRequestData,
  type Pong,
  type RequestType,
  type ServerEvent,
} from './messages/index.js';
import { ID_PREFIX_BYTES, frameIdFromPrefix } from './frame-id.js';
import { jsonShapeProblem } from './json-shape.js';
import { DEFAULT_JSON_LIMITS, checkJsonObject, type JsonLimits } from './json-value.js';
import { requestIdSchema } from './workspace.js';

/** A request after validation, discriminated by `type`. */
export type ClientMessage = {
  [TType in RequestType]: { type: TType; id?: string; data: ParsedRequestData<TType> };
}[RequestType];

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: ProtocolError; id?: string };

export interface Issue {
  path: (string | number)[];
  message: string;
}

const ENVELOPE_KEYS: ReadonlySet<string> = new Set(['type', 'id', 'data']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function issuesOf(error: z.ZodError, prefix: (string | number)[] = []): Issue[] {
  return error.issues.slice(0, 20).map((issue) => ({
    path: [...prefix, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
    message: issue.message,
  }));
}

function invalid(issues: Issue[], id?: string): ParseResult<never> {
  const error = new ProtocolError('INVALID_MESSAGE', 'Message does not match the schema', { details: { issues } });
  return id === undefined ? { ok: false, error } : { ok: false, error, id };
}

/** Keys besides the envelope's, or undefined (checked per frame: no array or closure in the common case). */
function extraKeys(value: Record<string, unknown>): string[] | undefined {
  let extra: string[] | undefined;
  for (const key in value) {
    if (!ENVELOPE_KEYS.has(key)) (extra ??= []).push(key);
  }
  return extra;
}

/**
 * An id `requestIdSchema` takes, checked without zod (on every frame). Counting UTF-16 units, it is
 * stricter than zod's code points for long non-BMP ids: those, and every id this refuses, go to zod.
 */
function isPlainRequestId(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= MAX_ID_LENGTH && !value.includes('\u0000');
}

/** Whether a request type's data schema takes an absent `data`, and `{}` (yielding `{}`): decided once by zod itself. */
const TRIVIAL_DATA = new Map(
  (Object.keys(REQUESTS) as RequestType[]).map((type) => {
    const schema = REQUESTS[type].data;
    const absent = schema.safeParse(undefined);
    const empty = schema.safeParse({});
    return [
      type,
      {
        absent: absent.success && absent.data === undefined,
        empty: empty.success && isObject(empty.data) && Object.keys(empty.data).length === 0,
      },
    ];
  }),
);

function isEmptyPlainObject(value: unknown): boolean {
  if (!isObject(value) || Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const _ in value) return false;
  return true;
}

/**
 * `REQUESTS[type].data.safeParse(data)`, except that an absent `data` or `{}` where the schema takes
 * it as such (`ping`, `{}` or nothing on every keep-alive) is answered without running zod.
 */
function parseData(
  type: RequestType,
  data: unknown,
): { success: true; data: unknown } | { success: false; error: z.ZodError } {
  const trivial = TRIVIAL_DATA.get(type);
  if (trivial?.absent === true && data === undefined) return { success: true, data: undefined };
  if (trivial?.empty === true && isEmptyPlainObject(data)) return { success: true, data: {} };
  return REQUESTS[type].data.safeParse(data);
}

/** Reads one client frame (text) into a validated request, or the typed error to reply with. Pure. */
export function parseClientMessage(raw: string): ParseResult<ClientMessage> {
  const shape = jsonShapeProblem(raw);
  if (shape !== undefined) {
    if (!/^\s*\{/.test(raw))
      return { ok: false, error: new ProtocolError('INVALID_JSON', 'Frame is not a JSON object') };
    // Refused unparsed: the id is echoed when the frame's first bytes hold it (as clients send it).
    return invalid([{ path: [], message: shape }], frameIdFromPrefix(raw.slice(0, ID_PREFIX_BYTES)));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { ok: false, error: new ProtocolError('INVALID_JSON', 'Frame is not valid JSON') };
  }
  if (!isObject(parsed)) {
    return { ok: false, error: new ProtocolError('INVALID_JSON', 'Frame is not a JSON object') };
  }
  const rawId = parsed['id'];
  let id: string | undefined;
  if (isPlainRequestId(rawId)) id = rawId;
  else if (rawId !== undefined) {
    const idResult = requestIdSchema.safeParse(rawId);
    if (!idResult.success) return invalid(issuesOf(idResult.error, ['id']));
    id = idResult.data;
  }
  const extra = extraKeys(parsed);
  if (extra !== undefined) {
    return invalid(
      extra.slice(0, 20).map((key) => ({ path: [key], message: 'Unrecognized key' })),
      id,
    );
  }
  const type = parsed['type'];
  if (typeof type !== 'string') {
    return invalid([{ path: ['type'], message: 'Expected a string' }], id);
  }
  if (!isRequestType(type)) {
    const shown = type.length > MAX_ECHOED_TYPE_LENGTH ? `${type.slice(0, MAX_ECHOED_TYPE_LENGTH)}...` : type;
    const error = new ProtocolError('UNKNOWN_TYPE', `Unknown message type "${shown}"`);
    return id === undefined ? { ok: false, error } : { ok: false, error, id };
  }
  const data = parseData(type, parsed['data']);
  if (!data.success) return invalid(issuesOf(data.error, ['data']), id);
  const message = { type, data: data.data } as ClientMessage;
  if (id !== undefined) message.id = id;
  return { ok: true, value: message };
}

/**
 * Workspace `data` of a create or update checked against limits stricter than the protocol's (a
 * server setting, the same for WebSocket and REST); the issue's path is relative to the request's
 * data. Undefined within the limits, for other types, and for the protocol's own limits (the schema
 * checked those already).
 */
export function workspaceDataIssue(type: RequestType, data: unknown, limits: JsonLimits): Issue | undefined {
  if (limits === DEFAULT_JSON_LIMITS) return undefined;
  const message = { type, data } as ClientMessage;
  const value =
    message.type === 'workspace.create'
      ? message.data.data
      : message.type === 'workspace.update'
        ? message.data.patch.data
        : undefined;
  if (value === undefined) return undefined;
  const issue = checkJsonObject(value, limits);
  if (issue === undefined) return undefined;
  return {
    path: [...(type === 'workspace.create' ? ['data'] : ['patch', 'data']), ...issue.path],
    message: issue.message,
  };
}

/** Validates a request's data for one type (used by REST, which has no envelope). */
export function parseRequestData<TType extends RequestType>(
  type: TType,
  data: unknown,
): ParseResult<ParsedRequestData<TType>> {
  const result = REQUESTS[type].data.safeParse(data);
  if (!result.success) return invalid(issuesOf(result.error));
  return { ok: true, value: result.data as ParsedRequestData<TType> };
}

/** Any frame the server sends. */
export type ServerMessage = Hello | Ack | Page | ErrorFrame | Pong | ServerEvent;

/**
 * Reads one server frame. Envelopes are checked; event payloads are checked against their schema.
 * Used by clients; the server never parses its own output.
 */
export function parseServerMessage(raw: string): ParseResult<ServerMessage> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { ok: false, error: new ProtocolError('INVALID_JSON', 'Frame is not valid JSON') };
  }
  if (!isObject(parsed) || typeof parsed['type'] !== 'string') {
    return { ok: false, error: new ProtocolError('INVALID_JSON', 'Frame is not a JSON object with a type') };
  }
  const schema =
    parsed['type'] === 'hello'
      ? helloSchema
      : parsed['type'] === 'ack'
        ? ackSchema
        : parsed['type'] === 'error'
          ? errorFrameSchema
          : parsed['type'] === 'pong'
            ? pongSchema
            : parsed['type'] === 'page'
              ? pageSchema
              : serverEventSchema;
  const result = schema.safeParse(parsed);
  if (!result.success) return invalid(issuesOf(result.error));
  return { ok: true, value: result.data as ServerMessage };
}
