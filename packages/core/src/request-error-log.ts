import { ProtocolError, type ErrorCode } from '@app/protocol';
import type { Logger } from './logger.js';

/** One failed request, as WebSocket and REST both report it. */
export interface RequestErrorReport {
  /** Which request, without its body: `GET /api/projects/p/workspaces`, `workspace.create (session …)`. */
  where: string;
  /** The code the client was answered with. */
  code: ErrorCode;
  /** The message the client was answered with. */
  message: string;
  /** What was thrown: for an INTERNAL answer its cause, with its stack, goes to the log. */
  thrown: unknown;
  /** How the client saw the answer, for the debug line (e.g. `409 CONFLICT`); default: the code. */
  answer?: string;
}

/**
 * The one logging policy of request errors, WebSocket and REST. A client error (bad input, not found,
 * conflict, forbidden, rate limited) is expected and goes to `debug`; UNAVAILABLE (the database is
 * away) to `warn`, with the message the client got; anything unexpected (INTERNAL) to `error` once,
 * with the stack of its cause, since that is a bug to fix. The logger redacts tokens and passwords;
 * callers never pass message bodies.
 */
export function logRequestError(logger: Logger, report: RequestErrorReport): void {
  const { where, code } = report;
  switch (code) {
    case 'INTERNAL': {
      const { thrown } = report;
      const cause = thrown instanceof ProtocolError && thrown.cause !== undefined ? thrown.cause : thrown;
      logger.error(`${where} failed: ${describeError(cause)}`);
      return;
    }
    case 'UNAVAILABLE':
      logger.warn(`${where}: ${report.message}`);
      return;
    default:
      logger.debug(`${where}: ${report.answer ?? code}`);
  }
}

/** An error's stack (name and message first), or the JSON of a thrown non-error. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}
