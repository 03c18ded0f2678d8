import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ProtocolError, toProtocolError, type ErrorCode } from '@app/protocol';
import { logRequestError, type Logger } from '@app/core';

/** HTTP status of each protocol error code (docs/protocol.md#6-errors). */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  INVALID_JSON: 400,
  INVALID_MESSAGE: 400,
  UNKNOWN_TYPE: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
  PROJECT_LIMIT: 409,
  UNAVAILABLE: 503,
  PROVIDER_ERROR: 502,
  INTERNAL: 500,
};

/** The JSON body of every error response. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export interface HttpError {
  status: number;
  body: ErrorBody;
}

/** Errors raised by Express itself (body-parser, router) carry a status and sometimes a `type`. */
interface ExpressError {
  status?: unknown;
  statusCode?: unknown;
  type?: unknown;
  expose?: unknown;
}

/** body-parser failures, by `err.type`: the code and safe message we answer with (never the parser's text or the body). */
const BODY_ERRORS: Readonly<Record<string, { status: number; code: ErrorCode; message: string }>> = {
  'entity.parse.failed': { status: 400, code: 'INVALID_JSON', message: 'Request body is not valid JSON' },
  'entity.too.large': { status: 413, code: 'INVALID_MESSAGE', message: 'Request body is too large' },
  'encoding.unsupported': { status: 415, code: 'INVALID_MESSAGE', message: 'Unsupported content encoding' },
  'charset.unsupported': { status: 415, code: 'INVALID_MESSAGE', message: 'Unsupported charset' },
  'request.aborted': { status: 400, code: 'INVALID_MESSAGE', message: 'Request was aborted' },
  'request.size.invalid': {
    status: 400,
    code: 'INVALID_MESSAGE',
    message: 'Request body size does not match Content-Length',
  },
};

function clientStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, statusCode, expose } = error as ExpressError;
  const value = typeof status === 'number' ? status : statusCode;
  // http-errors marks client errors `expose: true`; anything else is ours to hide.
  return typeof value === 'number' && value >= 400 && value < 500 && expose !== false ? value : undefined;
}

/** Maps anything thrown in a request to the status and body to send. Pure; used by the handler and by tests. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof ProtocolError) return fromProtocolError(error);
  const type = typeof error === 'object' && error !== null ? (error as ExpressError).type : undefined;
  const known = typeof type === 'string' ? BODY_ERRORS[type] : undefined;
  if (known !== undefined) return { status: known.status, body: { code: known.code, message: known.message } };
  if (error instanceof URIError && clientStatusOf(error) === 400) {
    return { status: 400, body: { code: 'INVALID_MESSAGE', message: 'Malformed percent-encoding in the URL' } };
  }
  const status = clientStatusOf(error);
  if (status !== undefined) return { status, body: { code: 'INVALID_MESSAGE', message: 'Bad request' } };
  return fromProtocolError(toProtocolError(error));
}

function fromProtocolError(error: ProtocolError): HttpError {
  const body: ErrorBody = { code: error.code, message: error.code === 'INTERNAL' ? 'Internal error' : error.message };
  if (error.details !== undefined && error.code !== 'INTERNAL') body.details = error.details;
  return { status: HTTP_STATUS[error.code], body };
}

/**
 * The one place that turns request errors into responses and logs them, under the policy the
 * WebSocket server shares (`logRequestError`: INTERNAL once at `error` with its cause's stack,
 * UNAVAILABLE at `warn`, client errors at `debug`).
 */
export function createErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    const { status, body } = toHttpError(error);
    logRequestError(logger, {
      where: `${req.method} ${req.originalUrl.slice(0, 200)}`,
      code: body.code,
      message: body.message,
      thrown: error,
      answer: `${status} ${body.code}`,
    });
    if (res.headersSent) {
      next(error); // Express's default handler closes the connection
      return;
    }
    const retryAfterMs = body.details?.['retryAfterMs'];
    // Both a rate limit and a provider that is down or rate-limited (prompt.enhance) say when to come back.
    if ((body.code === 'RATE_LIMITED' || body.code === 'UNAVAILABLE') && typeof retryAfterMs === 'number')
      res.set('Retry-After', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
    res.status(status).json(body);
  };
}

/** The final middleware: any request no route answered gets a 404 NOT_FOUND in the same JSON shape. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new ProtocolError('NOT_FOUND', `No route for ${req.method} ${req.path.slice(0, 200)}`));
};
