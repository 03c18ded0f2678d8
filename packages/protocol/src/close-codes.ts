/** WebSocket close codes the server uses (docs/protocol.md#7-liveness-limits-and-close-codes). */
export const CLOSE_CODES = {
  /** Server shutting down: reconnect, possibly elsewhere. */
  GOING_AWAY: 1001,
  /** A binary frame was received. */
  UNSUPPORTED_DATA: 1003,
  /** A text frame was not valid UTF-8. */
  INVALID_PAYLOAD: 1007,
  /** Policy violation, e.g. sustained flooding. */
  POLICY_VIOLATION: 1008,
  /** Frame larger than `maxMessageBytes`. */
  MESSAGE_TOO_BIG: 1009,
  /** Unexpected server failure. */
  INTERNAL_ERROR: 1011,
  /** Slow consumer: the send buffer went over its limit. Reconnect and resume. */
  TRY_AGAIN_LATER: 1013,
  /** Missing, invalid or expired token. Do not retry with the same token. */
  UNAUTHORIZED: 4001,
  /** Origin not allowed. Do not retry. */
  FORBIDDEN_ORIGIN: 4003,
} as const;

/** Close codes after which a client must not reconnect on its own. */
export const TERMINAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  CLOSE_CODES.UNSUPPORTED_DATA,
  CLOSE_CODES.UNAUTHORIZED,
  CLOSE_CODES.FORBIDDEN_ORIGIN,
]);
