// Frame checks without zod, against the schemas compiled from the zod ones (compiled-schemas.ts):
// what a browser client runs. The server keeps full zod validation (codec.ts).
import type { ParseResult, ServerMessage } from '../codec.js';
import { ProtocolError } from '../errors.js';
import type { AckData, RequestData, RequestType } from '../messages/index.js';
import { checkSchema, type CompiledSchema, type SchemaIssue } from './check.js';
import { REQUEST_SCHEMAS, SERVER_SCHEMAS } from './compiled-schemas.js';

type Root = { properties: Record<string, CompiledSchema>; required?: string[]; $defs?: Record<string, CompiledSchema> };
const requests = REQUEST_SCHEMAS as Root;
const server = SERVER_SCHEMAS as Root;
const FRAME_TYPES: ReadonlySet<string> = new Set(['hello', 'ack', 'error', 'pong', 'page']);

function invalid(issue: SchemaIssue, message: string): { ok: false; error: ProtocolError } {
  return { ok: false, error: new ProtocolError('INVALID_MESSAGE', message, { details: { issues: [issue] } }) };
}

/** Checks a request's data before it is sent: the schema's structure, names, and the limits of workspace `data`. */
export function checkRequestData<TType extends RequestType>(
  type: TType,
  data: RequestData<TType>,
): ParseResult<RequestData<TType>> {
  const schema = requests.properties[type];
  if (schema === undefined) return invalid({ path: ['type'], message: `unknown type ${type}` }, 'Unknown request type');
  const issue =
    data === undefined
      ? requests.required?.includes(type) === true
        ? { path: [], message: 'required' }
        : undefined
      : checkSchema(schema, data, requests.$defs ?? {});
  return issue === undefined ? { ok: true, value: data } : invalid(issue, 'Message does not match the schema');
}

/** Whether an ack's (or pong's) data is what the request type's reply carries. */
export function checkReplyData<TType extends RequestType>(type: TType, data: unknown): data is AckData<TType> {
  const schema = server.properties[`reply:${type}`];
  return schema !== undefined && checkSchema(schema, data, server.$defs ?? {}) === undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads one server frame (what `parseServerMessage` does with zod): the envelope, and event payloads. */
export function parseServerFrame(raw: string): ParseResult<ServerMessage> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { ok: false, error: new ProtocolError('INVALID_JSON', 'Frame is not valid JSON') };
  }
  if (!isObject(parsed) || typeof parsed['type'] !== 'string') {
    return { ok: false, error: new ProtocolError('INVALID_JSON', 'Frame is not a JSON object with a type') };
  }
  const name = FRAME_TYPES.has(parsed['type']) ? parsed['type'] : 'event';
  const issue = checkSchema(server.properties[name]!, parsed, server.$defs ?? {});
  return issue === undefined
    ? { ok: true, value: parsed as ServerMessage }
    : invalid(issue, 'Message does not match the schema');
}
