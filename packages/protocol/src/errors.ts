/** Error codes of docs/protocol.md#6-errors, with whether a retry can help. */
export const ERROR_CODES = {
  INVALID_JSON: { retry: false },
  INVALID_MESSAGE: { retry: false },
  UNKNOWN_TYPE: { retry: false },
  NOT_FOUND: { retry: false },
  CONFLICT: { retry: false },
  UNAUTHORIZED: { retry: false },
  FORBIDDEN: { retry: false },
  RATE_LIMITED: { retry: true },
  /** The project is at a cap (workspaces or bytes); `details` says which. Delete or shrink workspaces first. */
  PROJECT_LIMIT: { retry: false },
  UNAVAILABLE: { retry: true },
  /** An external provider (the language model) answered with something unusable; a new answer may differ. */
  PROVIDER_ERROR: { retry: true },
  INTERNAL: { retry: true },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export const ERROR_CODE_LIST = Object.keys(ERROR_CODES) as ErrorCode[];

export interface ProtocolErrorOptions {
  details?: Record<string, unknown> | undefined;
  cause?: unknown;
}

/** The one error type of the protocol: a code, a safe message and optional details. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: ProtocolErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }

  /** The wire shape of this error, as sent in an `error` frame (without `type` and `id`). */
  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** Maps anything thrown to a ProtocolError; unknown failures become INTERNAL with a generic message. */
export function toProtocolError(error: unknown): ProtocolError {
  if (error instanceof ProtocolError) return error;
  return new ProtocolError('INTERNAL', 'Internal error', { cause: error });
}

/** The error an `error` frame reports, as a ProtocolError (what a client rejects the request with). */
export function errorFromFrame(frame: {
  code: string;
  message: string;
  details?: Record<string, unknown> | undefined;
}): ProtocolError {
  return new ProtocolError(frame.code as ErrorCode, frame.message, { details: frame.details });
}
