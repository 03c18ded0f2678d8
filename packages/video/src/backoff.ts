export interface BackoffOptions {
  /** First delay. */
  baseMs: number;
  /** Largest delay. */
  maxMs: number;
  /** Random source in [0, 1); tests pass a fixed one. */
  random?: () => number;
}

/**
 * Delay before attempt `attempt` (0-based): exponential from `baseMs`, capped at `maxMs`, with up to
 * 50 % jitter subtracted (Runway's guidance), never below `floorMs` (e.g. a Retry-After or the poll floor).
 */
export function backoffMs(attempt: number, options: BackoffOptions, floorMs = 0): number {
  const random = options.random ?? Math.random;
  const exponential = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 30));
  const jittered = exponential * (1 - 0.5 * random());
  return Math.max(floorMs, Math.round(jittered));
}
