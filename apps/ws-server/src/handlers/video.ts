import type { VideoRequests } from '@app/core';
import { ProtocolError } from '@app/protocol';
import type { Handler, HandlerContext } from './types.js';

// Thin on purpose: authorisation, idempotency and the one-active-job rule live in the video service.

export const videoGenerate: Handler<'video.generate'> = (data, ctx) => videoOf(ctx).generate(data, ctx.mutation);

export const videoCancel: Handler<'video.cancel'> = (data, ctx) => videoOf(ctx).cancel(data, ctx.mutation);

export const videoList: Handler<'video.list'> = (data, ctx) => videoOf(ctx).list(data, ctx.mutation);

function videoOf(ctx: HandlerContext): VideoRequests {
  if (ctx.video === undefined) throw new ProtocolError('UNAVAILABLE', 'Video generation is not enabled on this server');
  return ctx.video;
}
