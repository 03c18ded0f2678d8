import type { ErrorCode } from '@app/protocol';

/** The router's answer to one request: the frames the connection writes, in this order, and what runs after. */
export interface Reply {
  /** `page` frames that go before `frame` (a list or snapshot too large for one frame); undefined for most replies. */
  readonly pages: readonly string[] | undefined;
  /** The one reply with the request's id: `ack`, `pong` or `error`. */
  readonly frame: string;
  /** The code, when `frame` is an `error`. */
  readonly errorCode: ErrorCode | undefined;
  /**
   * Call once `frame` is written: runs what the handler asked to do after its reply (e.g. start live
   * delivery after a subscribe ack). Never throws: a failure then is reported, the reply already went out.
   */
  readonly afterWrite: (() => void) | undefined;
}
