import { ERROR_CODES, ProtocolError } from '@app/protocol/lite';
import { backoffDelay } from './backoff.js';
import { ClientError, isRetryable } from './errors.js';

/** How a project store retries a change whose outcome is unknown (see the README, "Outcome unknown"). */
export interface ChangeRetryOptions {
  /** Sends of one change in all, the first included. Default 5. */
  attempts?: number | undefined;
  /** Delay before retry n (0-based): `random() * min(maxDelayMs, baseDelayMs * 2^n)`. Default 250. */
  baseDelayMs?: number | undefined;
  /** Default 5 000. */
  maxDelayMs?: number | undefined;
}

export const DEFAULT_CHANGE_RETRY = { attempts: 5, baseDelayMs: 250, maxDelayMs: 5_000 } as const;

export type ResolvedChangeRetry = Required<{ [K in keyof ChangeRetryOptions]: number }>;

/** Fills in defaults and checks values; throws a `TypeError` naming the bad option. */
export function resolveChangeRetry(options: ChangeRetryOptions = {}): ResolvedChangeRetry {
  const resolved: ResolvedChangeRetry = { ...DEFAULT_CHANGE_RETRY };
  for (const key of ['attempts', 'baseDelayMs', 'maxDelayMs'] as const) {
    const value = options[key];
    if (value === undefined) continue;
    if (!Number.isFinite(value) || value < (key === 'attempts' ? 1 : 0)) {
      throw new TypeError(
        `createClient: changeRetry.${key} must be a ${key === 'attempts' ? 'positive' : 'non-negative'} number`,
      );
    }
    resolved[key] = value;
  }
  return resolved;
}

/**
 * How a change ended when it was not acknowledged: `refused` when the server answered that it did not apply it
 * and would not with the same request (a code whose `retry` is "no" in docs/protocol.md, or a frame too large to
 * send); `unconfirmed` for everything else: `UNAVAILABLE`, `INTERNAL`, `TIMEOUT`, `QUEUE_EXPIRED`, a closed
 * client, ... where it may have been applied, and for `RATE_LIMITED` / `QUEUE_FULL` (not applied, but worth
 * sending again).
 */
export function changeOutcome(error: unknown): 'refused' | 'unconfirmed' {
  if (error instanceof ProtocolError) return ERROR_CODES[error.code].retry ? 'unconfirmed' : 'refused';
  if (error instanceof ClientError) return error.code === 'TOO_LARGE' ? 'refused' : 'unconfirmed';
  return 'unconfirmed';
}

/**
 * The delay before sending a change again after `error`, or undefined when the store should stop: the error is
 * not retryable, or `attempt` (0-based, the send that failed) was the last one. Full jitter; at least the
 * server's `retryAfterMs` when it gives one.
 */
export function changeRetryDelay(
  error: unknown,
  attempt: number,
  options: ResolvedChangeRetry,
  random: number,
): number | undefined {
  if (changeOutcome(error) === 'refused' || !isRetryable(error) || attempt + 1 >= options.attempts) return undefined;
  const delay = backoffDelay(
    attempt,
    { minDelayMs: 0, baseDelayMs: options.baseDelayMs, maxDelayMs: options.maxDelayMs, stableAfterMs: 0 },
    random,
  );
  const retryAfter = error instanceof ProtocolError ? error.details?.['retryAfterMs'] : undefined;
  return typeof retryAfter === 'number' ? Math.max(delay, retryAfter) : delay;
}
