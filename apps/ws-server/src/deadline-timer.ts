/** setTimeout's longest delay (2^31 - 1 ms, about 24.8 days); a longer one fires after 1 ms instead. */
export const MAX_TIMER_MS = 2_147_483_647;

/** A timer that can be stopped. */
export interface DeadlineTimer {
  stop(): void;
}

/**
 * Calls `callback` once at the absolute time `at` (ms since the epoch, by `Date.now()`), however far
 * away: a deadline past setTimeout's limit waits in steps of at most MAX_TIMER_MS, re-armed from the
 * clock at each step, instead of being cut to 24.8 days. The timers do not keep the process alive.
 */
export function startDeadlineTimer(at: number, callback: () => void): DeadlineTimer {
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    const remainingMs = at - Date.now();
    if (remainingMs <= 0) {
      timer = undefined;
      callback();
      return;
    }
    timer = setTimeout(arm, Math.min(MAX_TIMER_MS, remainingMs));
    timer.unref();
  };
  const remainingMs = at - Date.now();
  timer = setTimeout(arm, Math.min(MAX_TIMER_MS, Math.max(0, remainingMs)));
  timer.unref();
  return {
    stop() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}
