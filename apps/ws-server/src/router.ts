import type { Core, VideoRequests } from '@app/core';
import {
  encodeAck,
  encodeError,
  encodePagedAck,
  encodePong,
  toProtocolError,
  type ClientMessage,
  type RequestType,
} from '@app/protocol';
import { HANDLERS } from './handlers/index.js';
import type { Handler, HandlerTable, PromptEnhancer } from './handlers/types.js';
import type { Reply } from './reply.js';
import { RequestContext } from './request-context.js';
import type { RequestErrorSink } from './request-error-sink.js';
import type { Session } from './session.js';

export interface RouterOptions {
  service: Core['service'];
  /** The video requests; undefined: they are answered UNAVAILABLE. */
  video?: VideoRequests | undefined;
  /** Largest frame the peer takes (`maxMessageBytes` of `hello`): longer lists go out in `page` frames first. */
  maxFrameBytes: number;
  /** Told of every request answered with an error, and of failures after a reply went out. */
  onError: RequestErrorSink;
  /** The handler of each request type; default `HANDLERS`. */
  handlers?: HandlerTable | undefined;
  /** Given to handlers for `prompt.enhance`; without it those requests get UNAVAILABLE. */
  promptHelper?: PromptEnhancer | undefined;
}

/** Replies whose list may outgrow a frame, and the field that holds it (sent in `page` frames first). */
const PAGED_FIELDS: Partial<Record<RequestType, string>> = { 'workspace.list': 'workspaces', subscribe: 'snapshot' };

/**
 * Runs the handler of a validated request and turns its outcome into exactly one reply (ack, pong or
 * error) with the request's id, which the caller writes. Knows nothing of sockets.
 */
export class Router {
  private readonly table: Map<RequestType, Handler<RequestType>>;

  constructor(private readonly options: RouterOptions) {
    this.table = new Map(Object.entries(options.handlers ?? HANDLERS) as [RequestType, Handler<RequestType>][]);
  }

  /**
   * The reply to `message`. A handler that answers synchronously (ping, unsubscribe) gets its reply
   * at once, without a promise; otherwise the promise resolves to the reply (it never rejects).
   */
  route(message: ClientMessage, session: Session): Reply | Promise<Reply> {
    const ctx = new RequestContext(
      this.options.service,
      session,
      message.id,
      this.options.promptHelper,
      this.options.video,
    );
    let result: unknown;
    try {
      const handler = this.table.get(message.type);
      if (handler === undefined) throw new Error(`no handler for ${message.type}`);
      result = handler(message.data as never, ctx);
    } catch (error) {
      return this.failed(message, session, error);
    }
    if (!(result instanceof Promise)) return this.answered(message, ctx, result);
    return result.then(
      (data: unknown) => this.answered(message, ctx, data),
      (error: unknown) => this.failed(message, session, error),
    );
  }

  private answered(message: ClientMessage, ctx: RequestContext, data: unknown): Reply {
    let frames: string[];
    try {
      const field = PAGED_FIELDS[message.type];
      frames =
        message.type === 'ping'
          ? [encodePong((data as { ts: string }).ts, message.id)]
          : field === undefined
            ? [encodeAck(data, message.id)]
            : encodePagedAck(data as Record<string, unknown>, field, this.options.maxFrameBytes, message.id);
    } catch (error) {
      return this.failed(message, ctx.session, error); // a result that cannot be encoded is an internal error, answered as one
    }
    const { onError } = this.options;
    return {
      pages: frames.length > 1 ? frames.slice(0, -1) : undefined,
      frame: frames[frames.length - 1]!,
      errorCode: undefined,
      afterWrite: ctx.hasAfterReply ? () => ctx.replied(message.type, onError) : undefined,
    };
  }

  private failed(message: ClientMessage, session: Session, error: unknown): Reply {
    const protocolError = toProtocolError(error);
    this.options.onError(error, { sessionId: session.sessionId, requestType: message.type });
    return {
      pages: undefined,
      frame: encodeError(protocolError, message.id),
      errorCode: protocolError.code,
      afterWrite: undefined,
    };
  }
}
