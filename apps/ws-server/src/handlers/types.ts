import type { Core, MutationContext } from '@app/core';
import type { AckData, ParsedRequestData, RequestType } from '@app/protocol';
import type { Connection } from '../connection.js';

/** What a handler gets besides its validated data. */
export interface HandlerContext {
  core: Core;
  connection: Connection;
  /** Request id, when the request had one. */
  requestId: string | undefined;
  /** Mutation context: subject, request id, origin and the connection's ordering. */
  mutation: MutationContext;
  /** Runs after the reply went out (e.g. start live delivery after a subscribe ack). */
  afterReply(callback: () => void): void;
}

export type Handler<TType extends RequestType> = (
  data: ParsedRequestData<TType>,
  ctx: HandlerContext,
) => Promise<AckData<TType>> | AckData<TType>;

/** One handler per request type; the compiler insists every type has one. */
export type HandlerTable = { [TType in RequestType]: Handler<TType> };
