import { Sequencer, authorizerFor, type MutationContext, type Principal } from '@app/core';
import { parseClientMessage, type ClientMessage } from '@app/protocol';
import type { Session, SessionSubscription } from '../../src/session.js';

/** A subscription that records what the handler asked of it (no room, no socket). */
export class FakeSubscription implements SessionSubscription {
  readonly catchUps: [number, number][] = [];
  startedAt: number | undefined;
  /** What `catchUp` does; resolves at once unless a test replaces it. */
  catchUpResult: () => Promise<void> = () => Promise.resolve();

  constructor(readonly projectId: string) {}

  catchUp(fromSeq: number, uptoSeq: number): Promise<void> {
    this.catchUps.push([fromSeq, uptoSeq]);
    return this.catchUpResult();
  }

  start(seq: number): void {
    this.startedAt = seq;
  }
}

/**
 * The narrow `Session` a handler sees, without a socket: the real mutation context of its principal,
 * and subscriptions it records instead of joining rooms.
 */
export class FakeSession implements Session {
  readonly sessionId = 'session-under-test';
  readonly subscriptions = new Map<string, FakeSubscription>();
  /** Every `unsubscribe` call, in order. */
  readonly unsubscribed: { projectId: string; which: SessionSubscription | undefined }[] = [];
  private readonly sequencer = new Sequencer();

  constructor(readonly principal: Principal = { subject: 'tester', projects: '*' }) {}

  mutationFor(requestId: string | undefined): MutationContext {
    return {
      subject: this.principal.subject,
      requestId,
      origin: requestId === undefined ? { sessionId: this.sessionId } : { sessionId: this.sessionId, requestId },
      sequencer: this.sequencer,
      authorize: authorizerFor(this.principal),
    };
  }

  subscribe(projectId: string): FakeSubscription {
    const subscription = new FakeSubscription(projectId);
    this.subscriptions.set(projectId, subscription);
    return subscription;
  }

  unsubscribe(projectId: string, which?: SessionSubscription): void {
    this.unsubscribed.push({ projectId, which });
    if (which === undefined || this.subscriptions.get(projectId) === which) this.subscriptions.delete(projectId);
  }
}

/** A request as the connection hands it to the router: parsed from its wire text. */
export function request(frame: Record<string, unknown>): ClientMessage {
  const parsed = parseClientMessage(JSON.stringify(frame));
  if (!parsed.ok) throw new Error(`not a valid request: ${parsed.error.message}`);
  return parsed.value;
}
