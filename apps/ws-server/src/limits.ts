import { CONFIG_DEFAULTS, dataLimitsFromConfig } from '@app/core';
import { ProtocolError, workspaceDataIssue, type ClientMessage, type JsonLimits } from '@app/protocol';

/** Per-connection limits (the environment settings are in README "Limits and security"). */
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

/** Events held for one subscription while it is prepared or repaired (not an environment setting). */
const MAX_PENDING_EVENTS = 10_000;

/** The limits of the settings' defaults (`CONFIG_DEFAULTS`, the config schema), for a server given no `limits`. */
export const DEFAULT_LIMITS: ConnectionLimits = {
  maxBufferedBytes: CONFIG_DEFAULTS.MAX_BUFFERED_BYTES,
  slowConsumerMs: CONFIG_DEFAULTS.SLOW_CONSUMER_MS,
  maxFrameBytes: CONFIG_DEFAULTS.MAX_MESSAGE_BYTES,
  maxPendingEvents: MAX_PENDING_EVENTS,
  maxSubscriptions: CONFIG_DEFAULTS.MAX_SUBSCRIPTIONS,
  ratePerSec: CONFIG_DEFAULTS.RATE_LIMIT_PER_SEC,
  rateBurst: CONFIG_DEFAULTS.RATE_LIMIT_BURST,
  maxStrikes: CONFIG_DEFAULTS.RATE_LIMIT_MAX_STRIKES,
  idleTimeoutMs: CONFIG_DEFAULTS.IDLE_TIMEOUT_MS,
  data: dataLimitsFromConfig(CONFIG_DEFAULTS),
};

/** Applies the server's data limits when they are stricter than the protocol's (paths from the envelope). */
export function checkDataLimits(message: ClientMessage, limits: JsonLimits): void {
  const issue = workspaceDataIssue(message.type, message.data, limits);
  if (issue === undefined) return;
  throw new ProtocolError('INVALID_MESSAGE', 'Message does not match the schema', {
    details: { issues: [{ path: ['data', ...issue.path], message: issue.message }] },
  });
}
