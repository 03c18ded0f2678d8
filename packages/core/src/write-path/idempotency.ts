import { ProtocolError } from '@app/protocol';
import type { EventDoc } from '../db/models.js';
import type { AppliedRequests } from './request-index.js';

/**
 * Exactly-once by request id: a retried request is answered with the data of the event its first
 * attempt stored, found by its key (subject and request id, see `EventLog.requestKey`).
 */

/** The answer to a retry whose first attempt stored `previous`; INVALID_MESSAGE when the id was used for another request. */
export function answerOfApplied(previous: EventDoc, hash: string): unknown {
  if (previous.requestHash !== undefined && previous.requestHash !== hash) {
    throw new ProtocolError('INVALID_MESSAGE', 'Request id was already used for a different request', {
      details: { issues: [{ path: ['id'], message: 'already used for a different request' }] },
    });
  }
  return previous.data;
}

/** The project a mutation belongs to; for a retried request whose workspace is gone, the project of its event. */
export async function projectOfRequest(
  findProject: () => Promise<string> | string,
  key: string | undefined,
  requests: AppliedRequests,
): Promise<string> {
  try {
    return await findProject();
  } catch (error) {
    if (key === undefined || !(error instanceof ProtocolError) || error.code !== 'NOT_FOUND') throw error;
    const previous = await requests.findByKey(key);
    if (previous === null) throw error;
    return previous.projectId;
  }
}
