import { encodeAck, encodeError, encodePong, toProtocolError, type ClientMessage, type RequestType } from '@app/protocol';
import type { Handler, HandlerContext, HandlerTable } from './handlers/types.js';
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
  subscribe,
  unsubscribe,
  ping,
};

const table = new Map<RequestType, Handler<RequestType>>(
  Object.entries(HANDLERS) as [RequestType, Handler<RequestType>][],
);

export interface RouteOptions {
  /** Sends the one reply; `errorCode` is set for error replies. */
  send(text: string, errorCode?: string): void;
  onError(error: unknown, requestType: RequestType): void;
}

/** Runs the handler of a validated request and sends exactly one reply (ack, pong or error) with its id. */
export async function route(
  message: ClientMessage,
  ctx: Omit<HandlerContext, 'afterReply'>,
  options: RouteOptions,
): Promise<void> {
  const after: (() => void)[] = [];
  const handler = table.get(message.type);
  try {
    if (handler === undefined) throw new Error(`no handler for ${message.type}`);
    const data = await handler(message.data as never, { ...ctx, afterReply: (callback) => after.push(callback) });
    options.send(message.type === 'ping' ? encodePong((data as { ts: string }).ts, message.id) : encodeAck(data, message.id));
    for (const callback of after) callback();
  } catch (error) {
    const protocolError = toProtocolError(error);
    if (protocolError.code === 'INTERNAL' || protocolError.code === 'UNAVAILABLE') options.onError(error, message.type);
    options.send(encodeError(protocolError, message.id), protocolError.code);
  }
}
