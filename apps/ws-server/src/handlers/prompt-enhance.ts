import { ProtocolError } from '@app/protocol';
import type { Handler } from './types.js';

/** `prompt.enhance`: everything (rate limit, workspace check, the model, its errors) is @app/prompt-helper's. */
export const promptEnhance: Handler<'prompt.enhance'> = (data, ctx) => {
  const { promptHelper } = ctx.connection;
  if (promptHelper === undefined) throw new ProtocolError('UNAVAILABLE', 'prompt.enhance is not set up on this server');
  return promptHelper.enhance(data, ctx.mutation);
};
