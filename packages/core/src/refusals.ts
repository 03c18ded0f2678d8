import { ProtocolError } from '@app/protocol';

/** The answer for a workspace id that names no live workspace (or one the caller may not see). */
export function workspaceNotFound(id: string): ProtocolError {
  return new ProtocolError('NOT_FOUND', `Workspace ${id} does not exist`);
}
