import { ProtocolError } from '@app/protocol';
import type { Handler } from './types.js';

/** `prompt.enhance`: everything (rate limit, workspace check, the model, its errors) is @app/prompt-helper's. */
export const promptEnhance: Handler<'prompt.enhance'> = (data, ctx) => {
  const { promptHelper } = ctx;
  if (promptHelper === undefined) throw new ProtocolError('UNAVAILABLE', 'prompt.enhance is not set up on this server');
  // The mutation context is the caller: its subject is what the rate limit counts, its authorizer checks a workspaceId.
  return promptHelper.enhance(data, ctx.mutation);
};
