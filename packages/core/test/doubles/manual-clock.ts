// For generated runs: the process's timers and `Date` under the test's control (setImmediate and
// promises stay real), so a run decides when each timer fires, and a pause of the process (timers
// expiring before pending replies are read) is one `advance`.
import { vi } from 'vitest';

export interface ManualClock {
  now(): number;
  /** Moves time on by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void;
  /** Fires the next pending timer (moving time to it); false when none is pending. */
  fireNext(): boolean;
  /** Timers pending. */
  pending(): number;
  /** Back to the real timers; pending fake ones are dropped. */
  uninstall(): void;
}

export function installManualClock(start = Date.UTC(2026, 0, 1)): ManualClock {
  vi.useFakeTimers({ now: start, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  return {
    now: () => Date.now(),
    advance(ms) {
      vi.advanceTimersByTime(ms);
    },
    fireNext() {
      if (vi.getTimerCount() === 0) return false;
      vi.advanceTimersToNextTimer();
      return true;
    },
    pending: () => vi.getTimerCount(),
    uninstall() {
      vi.clearAllTimers();
      vi.useRealTimers();
    },
  };
}
