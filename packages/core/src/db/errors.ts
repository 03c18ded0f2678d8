import { ProtocolError } from '@app/protocol';

/** E11000: a unique index (or `_id`) refused the write. */
export function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
}

/** True when a (bulk) write failed only because of E11000 refusals, i.e. everything else went in. */
export function onlyDuplicateKeys(error: unknown): boolean {
  if (isDuplicateKey(error)) return true;
  const writeErrors = (error as { writeErrors?: unknown }).writeErrors;
  const list = Array.isArray(writeErrors) ? writeErrors : writeErrors === undefined ? [] : [writeErrors];
  return list.length > 0 && list.every((e) => (e as { code?: unknown }).code === 11000);
}

const UNAVAILABLE_NAMES = new Set([
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'PoolClearedError',
  'PoolClearedOnNetworkError',
  'MongoPoolClearedError',
]);

/** True when the failure means the database could not be reached (so retrying later can help). */
export function isUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, message } = error as { name?: unknown; message?: unknown };
  if (typeof name === 'string' && UNAVAILABLE_NAMES.has(name)) return true;
  return (
    typeof message === 'string' &&
    /buffering timed out|connection .* closed|ECONNREFUSED|client must be connected/i.test(message)
  );
}

/** Maps a storage failure to the protocol error callers see. Never exposes the driver's message. */
export function toStorageError(error: unknown): ProtocolError {
  if (error instanceof ProtocolError) return error;
  if (isUnavailable(error)) {
    return new ProtocolError('UNAVAILABLE', 'Storage is temporarily unavailable; retry later', { cause: error });
  }
  return new ProtocolError('INTERNAL', 'Internal error', { cause: error });
}
