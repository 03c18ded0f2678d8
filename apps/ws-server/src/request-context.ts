import type { Core, MutationContext, VideoRequests } from '@app/core';
import type { RequestType } from '@app/protocol';
import type { HandlerContext, PromptEnhancer } from './handlers/types.js';
import type { RequestErrorSink } from './request-error-sink.js';
import type { Session } from './session.js';

/** What a handler gets, built per request with as little as possible allocated up front. */
export class RequestContext implements HandlerContext {
  private after: (() => void)[] | undefined;
  private mutationContext: MutationContext | undefined;

  constructor(
    readonly service: Core['service'],
    readonly session: Session,
    readonly requestId: string | undefined,
    readonly promptHelper: PromptEnhancer | undefined = undefined,
    readonly video: VideoRequests | undefined = undefined,
  ) {}

  get mutation(): MutationContext {
    return (this.mutationContext ??= this.session.mutationFor(this.requestId));
  }

  afterReply(callback: () => void): void {
    (this.after ??= []).push(callback);
  }

  /** Whether a handler asked for work after its reply. */
  get hasAfterReply(): boolean {
    return this.after !== undefined;
  }

  /** Runs the `afterReply` callbacks; the reply went out already, so a failure is reported, never answered. */
  replied(requestType: RequestType, onError: RequestErrorSink): void {
    if (this.after === undefined) return;
    for (const callback of this.after) {
      try {
        callback();
      } catch (error) {
        onError(error, { sessionId: this.session.sessionId, requestType });
      }
    }
  }
}
