import { DEFAULT_RETRY_AFTER_MS, MAX_RETRY_AFTER_MS } from './constants.js';

/**
 * When the provider says to come back, in ms: `retry-after-ms` (OpenAI's own), else `retry-after`
 * in seconds or as an HTTP date; `DEFAULT_RETRY_AFTER_MS` when neither is there or readable.
 * Clamped to 1 ms .. `MAX_RETRY_AFTER_MS`.
 */
export function retryAfterMsOf(headers: Headers | undefined, now: number = Date.now()): number {
  const clamp = (ms: number): number => Math.min(MAX_RETRY_AFTER_MS, Math.max(1, Math.ceil(ms)));
  const ms = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return clamp(ms);
  const value = headers?.get('retry-after')?.trim();
  if (value === undefined || value === '') return DEFAULT_RETRY_AFTER_MS;
  if (/^\d+(\.\d+)?$/.test(value)) return clamp(Number.parseFloat(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? DEFAULT_RETRY_AFTER_MS : clamp(date - now);
}
