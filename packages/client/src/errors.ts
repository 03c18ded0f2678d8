import { ERROR_CODES, ProtocolError } from '@app/protocol/lite';

/**
 * Codes of failures detected by the client itself (the server's codes live in `ProtocolError`).
 * See the README's "Errors" section for when each one happens.
 */
export const CLIENT_ERROR_CODES = {
  /** No reply within `timeoutMs` after the request was written to the socket. The server may still apply it. */
  TIMEOUT: { retry: true },
  /** The offline queue already holds `queue.maxSize` requests. */
  QUEUE_FULL: { retry: true },
  /** The request waited offline longer than `queue.maxAgeMs`. A resent mutation may have been applied. */
  QUEUE_EXPIRED: { retry: true },
  /** `close()` was called. */
  CLOSED: { retry: false },
  /** The connection dropped under an internal request (subscribe); the client repeats it on reconnect. */
  CONNECTION_LOST: { retry: true },
  /**
   * The server closed with 4001, 4003 or 1003 (or refused the upgrade with HTTP 401/403): no more reconnects.
   * 4001 only when `token` is not a function, the function failed, or MAX_TOKEN_REFRESHES refreshes in a row were refused.
   */
  TERMINAL_CLOSE: { retry: false },
  /** The frame is larger than the server's `maxMessageBytes` (from `hello`). */
  TOO_LARGE: { retry: false },
  /** The server's reply does not match the protocol schema for the request type. */
  INVALID_REPLY: { retry: false },
  /** The `token` function threw or rejected before an ordinary reconnect; the client counts it as a failed connection attempt. */
  TOKEN_FAILED: { retry: true },
} as const;

export type ClientErrorCode = keyof typeof CLIENT_ERROR_CODES;

export interface ClientErrorOptions {
  details?: Record<string, unknown> | undefined;
  /** The WebSocket close code behind a `TERMINAL_CLOSE`. */
  closeCode?: number | undefined;
  cause?: unknown;
}

/** A failure detected by the client (timeout, queue limits, terminal close, ...), as opposed to a server `error`. */
export class ClientError extends Error {
  override readonly name = 'ClientError';
  readonly code: ClientErrorCode;
  readonly details: Record<string, unknown> | undefined;
  readonly closeCode: number | undefined;

  constructor(code: ClientErrorCode, message: string, options: ClientErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
    this.closeCode = options.closeCode;
  }
}

/** What a request can reject with: a server `error` reply (`ProtocolError`) or a client-side `ClientError`. */
export type RequestError = ProtocolError | ClientError;

/** Whether trying the same request again later can help. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof ClientError) return CLIENT_ERROR_CODES[error.code].retry;
  // A server can say a retry will not help where the code usually would (`details.retryable: false`).
  if (error instanceof ProtocolError) return error.details?.['retryable'] !== false && ERROR_CODES[error.code].retry;
  return false;
}
