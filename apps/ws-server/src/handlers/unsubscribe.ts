import type { Handler } from './types.js';

/** Ends the session's subscription to the project; answers at once (no promise), subscribed or not. */
export const unsubscribe: Handler<'unsubscribe'> = (data, ctx) => {
  ctx.session.unsubscribe(data.projectId);
  return {};
};
