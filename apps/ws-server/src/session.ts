import type { MutationContext } from '@app/core';

/** A subscription as a handler sees it: replay stored events, then start live delivery. */
export interface SessionSubscription {
  /** Sends the stored events in (fromSeq, uptoSeq] at the pace the peer reads; live events wait meanwhile. */
  catchUp(fromSeq: number, uptoSeq: number): Promise<void>;
  /** The subscribe reply went out, reflecting everything up to `seq`: live delivery starts after it. */
  start(seq: number): void;
}

/**
 * What a handler (and the router) may use of the connection it serves: who is asking, and the
 * connection's subscriptions. Nothing of the socket: replies go back as the router's return value,
 * so handlers and router are tested with a fake session and no socket. `Connection` implements it.
 */
export interface Session {
  /** Id of the connection (the `sessionId` of `hello`), for logs and event origins. */
  readonly sessionId: string;
  /** Subject, request id, origin, ordering and authorisation of this caller, for the service. */
  mutationFor(requestId: string | undefined): MutationContext;
  /**
   * Starts (or restarts) the session's subscription to a project; live events are held until `start`.
   * Throws FORBIDDEN when the subject may not read the project or the subscription limit is reached.
   */
  subscribe(projectId: string): SessionSubscription;
  /** Ends the project's subscription (only `which`, when given and still the current one). */
  unsubscribe(projectId: string, which?: SessionSubscription): void;
}
