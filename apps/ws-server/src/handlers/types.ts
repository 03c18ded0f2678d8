import type { Core, MutationContext, VideoRequests } from '@app/core';
import type { PromptHelper } from '@app/prompt-helper';
import type { AckData, ParsedRequestData, RequestType } from '@app/protocol';
import type { Session } from '../session.js';

/** What a handler gets besides its validated data. */
export interface HandlerContext {
  /** The write path and the reads of `@app/core`. */
  service: Core['service'];
  /** The connection that asked, narrowed to what handlers use. */
  session: Session;
  /** The video requests (`@app/video`), when this server runs them. */
  video: VideoRequests | undefined;
  /** Request id, when the request had one. */
  requestId: string | undefined;
  /** Mutation context: subject, request id, origin and the connection's ordering. */
  mutation: MutationContext;
  /** Runs after the reply went out (e.g. start live delivery after a subscribe ack). */
  afterReply(callback: () => void): void;
  /** Answers `prompt.enhance`; undefined when the server has none (those requests get UNAVAILABLE). */
  promptHelper: PromptEnhancer | undefined;
}

/** What the `prompt.enhance` handler uses of `@app/prompt-helper`'s helper: one call, so tests can pass a fake. */
export type PromptEnhancer = Pick<PromptHelper, 'enhance'>;

/** Answers one request: its ack data, at once or later. A throw or rejection becomes the error reply. */
export type Handler<TType extends RequestType> = (
  data: ParsedRequestData<TType>,
  ctx: HandlerContext,
) => Promise<AckData<TType>> | AckData<TType>;

/** One handler per request type; the compiler insists every type has one. */
export type HandlerTable = { [TType in RequestType]: Handler<TType> };
