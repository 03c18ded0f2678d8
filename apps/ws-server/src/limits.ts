import {
  DEFAULT_JSON_LIMITS,
  ProtocolError,
  workspaceDataIssue,
  type ClientMessage,
  type JsonLimits,
} from '@app/protocol';

/** Per-connection limits, all configurable (see README "Limits and security"). */
export interface ConnectionLimits {
  /**
   * Bytes owed to the peer (socket buffer, outbox, events its subscriptions have yet to send) past
   * which it is a slow consumer (close 1013) if it takes nothing for `slowConsumerMs`; eight times
   * this held in memory closes it at once.
   */
  maxBufferedBytes: number;
  /** Largest frame sent (the `maxMessageBytes` of `hello`): longer snapshots and lists go out in `page` frames. */
  maxFrameBytes: number;
  /** How long a peer owed more than `maxBufferedBytes` may take nothing before it is closed (1013). */
  slowConsumerMs: number;
  /** Events held for one subscription while it is prepared or repaired (close 1013 past it). */
  maxPendingEvents: number;
  maxSubscriptions: number;
  ratePerSec: number;
  rateBurst: number;
  /** Consecutive RATE_LIMITED replies before the connection is closed with 1008. */
  maxStrikes: number;
  /** Close a connection without subscriptions that sent nothing for this long; 0 disables. */
  idleTimeoutMs: number;
  /** Limits on workspace `data`, at most the protocol's. */
  data: JsonLimits;
}

export const DEFAULT_LIMITS: ConnectionLimits = {
  maxBufferedBytes: 8 * 1024 * 1024,
  slowConsumerMs: 5_000,
  maxFrameBytes: 1024 * 1024,
  maxPendingEvents: 10_000,
  maxSubscriptions: 100,
  ratePerSec: 50,
  rateBurst: 100,
  maxStrikes: 200,
  idleTimeoutMs: 300_000,
  data: DEFAULT_JSON_LIMITS,
};

/** Applies the server's data limits when they are stricter than the protocol's (paths from the envelope). */
export function checkDataLimits(message: ClientMessage, limits: JsonLimits): void {
  const issue = workspaceDataIssue(message.type, message.data, limits);
  if (issue === undefined) return;
  throw new ProtocolError('INVALID_MESSAGE', 'Message does not match the schema', {
    details: { issues: [{ path: ['data', ...issue.path], message: issue.message }] },
  });
}
