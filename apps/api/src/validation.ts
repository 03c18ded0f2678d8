import type { Request, Response } from 'express';
import { ANONYMOUS, authorizerFor, type MutationContext, type Principal, type ReadContext } from '@app/core';
import {
  DEFAULT_JSON_LIMITS,
  ProtocolError,
  idSchema,
  issuesOf,
  parseRequestData,
  requestIdSchema,
  workspaceDataIssue,
  type Issue,
  type JsonLimits,
  type ParsedRequestData,
  type RequestType,
} from '@app/protocol';

/** The header a REST caller sets to make a write idempotent (same key + same body = one change). */
export const IDEMPOTENCY_HEADER = 'idempotency-key';

function invalid(issues: Issue[], message = 'Request does not match the schema'): ProtocolError {
  return new ProtocolError('INVALID_MESSAGE', message, { details: { issues } });
}

/** A project or workspace id from the path; throws INVALID_MESSAGE naming the parameter. */
export function parseId(name: string, value: unknown): string {
  const result = idSchema.safeParse(value);
  if (!result.success) throw invalid(issuesOf(result.error, [name]));
  return result.data;
}

/** The JSON object body; anything else (no JSON content type, an array) is INVALID_JSON. */
export function jsonObjectBody(req: Request): Record<string, unknown> {
  const body: unknown = req.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ProtocolError('INVALID_JSON', 'Request body must be a JSON object (Content-Type: application/json)');
  }
  return body as Record<string, unknown>;
}

/**
 * Validates a request's data as the WebSocket path would, after merging in values from the URL, and
 * workspace `data` against the server's limits. A body that repeats a URL value is refused rather
 * than silently overridden.
 */
export function parseData<TType extends RequestType>(
  type: TType,
  body: Record<string, unknown>,
  fromUrl: Record<string, unknown>,
  dataLimits: JsonLimits = DEFAULT_JSON_LIMITS,
): ParsedRequestData<TType> {
  const clashes = Object.keys(fromUrl).filter((key) => Object.hasOwn(body, key));
  if (clashes.length > 0) {
    throw invalid(clashes.map((key) => ({ path: [key], message: 'Unrecognized key; this value comes from the URL' })));
  }
  const result = parseRequestData(type, { ...body, ...fromUrl });
  if (!result.ok) throw result.error;
  const issue = workspaceDataIssue(type, result.value, dataLimits);
  if (issue !== undefined) throw invalid([issue]);
  return result.value;
}

/** `?name=` as a non-negative integer when it looks like one; other text is passed on for the schema to refuse. */
export function integerQuery(req: Request, name: string): unknown {
  const value: unknown = req.query[name];
  if (typeof value === 'string' && /^\d{1,15}$/.test(value)) return Number(value);
  return value;
}

/** The caller, set by the auth middleware (anonymous when authentication is off). */
export function principalOf(res: Response): Principal {
  return (res.locals['principal'] as Principal | undefined) ?? ANONYMOUS;
}

/** Authorization for reads: the caller's project access. */
export function readContext(res: Response): ReadContext {
  const authorize = authorizerFor(principalOf(res));
  return authorize === undefined ? {} : { authorize };
}

/** The context of a REST write: the caller's subject and access, REST origin, and the Idempotency-Key as request id. */
export function mutationContext(req: Request, res: Response): MutationContext {
  const principal = principalOf(res);
  const ctx: MutationContext = { ...readContext(res), subject: principal.subject, origin: { source: 'rest' } };
  const key = req.get(IDEMPOTENCY_HEADER);
  if (key === undefined) return ctx;
  const result = requestIdSchema.safeParse(key);
  if (!result.success) throw invalid(issuesOf(result.error, ['headers', 'Idempotency-Key']));
  ctx.requestId = result.data;
  return ctx;
}
