import {
  encodeAck,
  encodeError,
  encodePagedAck,
  encodePong,
  toProtocolError,
  type ClientMessage,
  type RequestType,
} from '@app/protocol';
import type { Core, MutationContext } from '@app/core';
import type { Connection } from './connection.js';
import type { Handler, HandlerContext, HandlerTable } from './handlers/types.js';
import { promptEnhance } from './handlers/prompt-enhance.js';
import { ping, subscribe, unsubscribe } from './handlers/subscribe.js';
import {
  workspaceCreate,
  workspaceDelete,
  workspaceList,
  workspaceReorder,
  workspaceUpdate,
} from './handlers/workspace.js';

/** Request type -> handler. Adding a message type means one schema in @app/protocol and one entry here. */
export const HANDLERS: HandlerTable = {
  'workspace.create': workspaceCreate,
  'workspace.update': workspaceUpdate,
  'workspace.delete': workspaceDelete,
  'workspace.reorder': workspaceReorder,
  'workspace.list': workspaceList,
  'prompt.enhance': promptEnhance,
  subscribe,
  unsubscribe,
  ping,
};

const table = new Map<RequestType, Handler<RequestType>>(
  Object.entries(HANDLERS) as [RequestType, Handler<RequestType>][],
);

/** Where `route` sends its one reply (the connection). */
export interface RouteOptions {
  /** Sends the reply to `message`; `errorCode` is set for error replies; `started` is what `route` was given. */
  sendReply(text: string, message: ClientMessage, started: number, errorCode?: string): void;
  /** Sends a `page` of a reply too large for one frame (before the reply itself). */
  sendPage(text: string): void;
  /** Largest frame the peer takes (`maxMessageBytes` of `hello`): longer lists are paged. */
  readonly maxFrameBytes: number;
  reportError(error: unknown, requestType: RequestType): void;
  /** Subject, request id, origin and ordering of this caller, for the service. */
  mutationFor(requestId: string | undefined): MutationContext;
}

/** What a handler gets, built per request with as little as possible allocated up front. */
export class RequestContext implements HandlerContext {
  private after: (() => void)[] | undefined;
  private mutationContext: MutationContext | undefined;

  constructor(
    readonly core: Core,
    readonly connection: Connection,
    readonly requestId: string | undefined,
  ) {}

  get mutation(): MutationContext {
    return (this.mutationContext ??= this.connection.mutationFor(this.requestId));
  }

  afterReply(callback: () => void): void {
    (this.after ??= []).push(callback);
  }

  /** Runs the `afterReply` callbacks; the reply went out already, so a failure is reported, never answered. */
  replied(options: RouteOptions, requestType: RequestType): void {
    if (this.after === undefined) return;
    for (const callback of this.after) {
      try {
        callback();
      } catch (error) {
        options.reportError(error, requestType);
      }
    }
  }
}

/**
 * Runs the handler of a validated request and sends exactly one reply (ack, pong or error) with its
 * id. A handler that answers synchronously (ping, unsubscribe) is replied to at once, without a
 * promise; otherwise the returned promise settles once the reply is sent.
 */
export function route(
  message: ClientMessage,
  ctx: RequestContext,
  options: RouteOptions,
  started: number,
): Promise<void> | undefined {
  let result: unknown;
  try {
    const handler = table.get(message.type);
    if (handler === undefined) throw new Error(`no handler for ${message.type}`);
    result = handler(message.data as never, ctx);
  } catch (error) {
    fail(message, options, started, error);
    return undefined;
  }
  if (!(result instanceof Promise)) {
    succeed(message, ctx, options, started, result);
    return undefined;
  }
  return result.then(
    (data: unknown) => succeed(message, ctx, options, started, data),
    (error: unknown) => fail(message, options, started, error),
  );
}

/** Replies whose list may outgrow a frame, and the field that holds it (sent in `page` frames first). */
const PAGED_FIELDS: Partial<Record<RequestType, string>> = { 'workspace.list': 'workspaces', subscribe: 'snapshot' };

function succeed(
  message: ClientMessage,
  ctx: RequestContext,
  options: RouteOptions,
  started: number,
  data: unknown,
): void {
  let frames: string[];
  try {
    const field = PAGED_FIELDS[message.type];
    frames =
      message.type === 'ping'
        ? [encodePong((data as { ts: string }).ts, message.id)]
        : field === undefined
          ? [encodeAck(data, message.id)]
          : encodePagedAck(data as Record<string, unknown>, field, options.maxFrameBytes, message.id);
  } catch (error) {
    fail(message, options, started, error); // a result that cannot be encoded is an internal error, answered as one
    return;
  }
  for (let i = 0; i < frames.length - 1; i += 1) options.sendPage(frames[i]!);
  options.sendReply(frames[frames.length - 1]!, message, started);
  ctx.replied(options, message.type);
}

function fail(message: ClientMessage, options: RouteOptions, started: number, error: unknown): void {
  const protocolError = toProtocolError(error);
  if (protocolError.code === 'INTERNAL' || protocolError.code === 'UNAVAILABLE')
    options.reportError(error, message.type);
  options.sendReply(encodeError(protocolError, message.id), message, started, protocolError.code);
}
