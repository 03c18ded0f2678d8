import type { RequestType } from '@app/protocol';

/**
 * Where the ws-server reports a failed request, or a failure of a connection's event delivery (no
 * request type then). The server's one implementation logs it under `logRequestError`'s policy.
 */
export type RequestErrorSink = (
  error: unknown,
  context: { sessionId: string; requestType?: RequestType | undefined },
) => void;
