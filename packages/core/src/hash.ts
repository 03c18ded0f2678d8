import { createHash } from 'node:crypto';

function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${stable((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A hash of a request that ignores key order, to recognise a request id reused for different content. */
export function requestHash(type: string, data: unknown): string {
  return createHash('sha256').update(type).update('\u0000').update(stable(data)).digest('base64url').slice(0, 24);
}
