import type { AckData, ParsedRequestData } from '@app/protocol';
import type { MutationContext, ReadContext } from './caller-context.js';

/**
 * The video requests as the apps call them (`video.generate`, `video.cancel`), WebSocket and REST
 * alike. Implemented by `VideoService` of `@app/video`; an app given none answers them UNAVAILABLE.
 * Authorised like the workspace (`ctx.authorize`), idempotent by the context's request id.
 */
export interface VideoRequests {
  generate(input: ParsedRequestData<'video.generate'>, ctx: MutationContext): Promise<AckData<'video.generate'>>;
  cancel(input: ParsedRequestData<'video.cancel'>, ctx: MutationContext): Promise<AckData<'video.cancel'>>;
  /** The workspace's jobs, newest first, until retention removes them; authorised like reading the workspace. */
  list(input: ParsedRequestData<'video.list'>, ctx: ReadContext): Promise<AckData<'video.list'>>;
}
