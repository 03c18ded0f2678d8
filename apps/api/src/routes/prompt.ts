import { Router } from 'express';
import type { PromptHelper } from '@app/prompt-helper';
import { ProtocolError } from '@app/protocol';
import { jsonObjectBody, parseData, principalOf, readContext } from '../validation.js';

/**
 * `POST /api/prompt/enhance` (mounted under `/api`): the REST face of `prompt.enhance`, same schema,
 * same helper (rate limit, workspace check, errors) as the WebSocket request.
 */
export function promptRouter(promptHelper: PromptHelper | undefined): Router {
  const router = Router();
  router.post('/prompt/enhance', async (req, res) => {
    const input = parseData('prompt.enhance', jsonObjectBody(req), {});
    if (promptHelper === undefined)
      throw new ProtocolError('UNAVAILABLE', 'prompt.enhance is not set up on this server');
    res.json(await promptHelper.enhance(input, { ...readContext(res), subject: principalOf(res).subject }));
  });
  return router;
}
