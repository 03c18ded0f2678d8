import { isUnavailable } from './errors.js';

/**
 * Write-error codes by which a server refuses one document for what it holds: BadValue (FerretDB v1's
 * "nested arrays are not supported"), TypeMismatch, field-name errors, DocumentValidationFailure,
 * document or index key too large. Others (duplicate key, stepdowns, timeouts) are not about the document.
 */
const DOCUMENT_REFUSALS: ReadonlySet<number> = new Set([2, 14, 52, 55, 56, 57, 121, 10334, 17280, 17419]);

/** The code of the write error by which the database refused the document at `index` of an ordered insert, or undefined. */
export function documentRefusal(error: unknown, index: number): number | undefined {
  if (typeof error !== 'object' || error === null || isUnavailable(error)) return undefined;
  const writeErrors = (error as { writeErrors?: unknown }).writeErrors;
  const first = (Array.isArray(writeErrors) ? writeErrors[0] : writeErrors) as
    { index?: unknown; code?: unknown } | undefined;
  if (
    first === undefined ||
    first.index !== index ||
    typeof first.code !== 'number' ||
    !DOCUMENT_REFUSALS.has(first.code)
  )
    return undefined;
  return first.code;
}
