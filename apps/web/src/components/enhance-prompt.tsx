import type { Workspace } from '@app/client';
import type { ReactNode } from 'react';

/**
 * The place for "Enhance prompt" (`prompt.enhance`): a button that asks the server for a better prompt and
 * offers it in place of the current one. Renders nothing until the protocol has the request.
 */
export function EnhancePrompt(_props: { workspace: Workspace }): ReactNode {
  return null;
}
