// For generated runs: moves a run on until `done()`: the scheduler's next task when one waits, else
// the real event loop a few turns (publishes use setImmediate), else the next timer of the manual
// clock. Fails when nothing is left to move and `done()` is still false (`stuck()` says what waits).
import type fc from 'fast-check';
import type { ManualClock } from './manual-clock.js';

/** Most steps of one call: a run that needs more is not converging. */
const MAX_STEPS = 50_000;

export async function runUntil(
  scheduler: fc.Scheduler,
  clock: ManualClock,
  done: () => boolean,
  stuck: () => string,
): Promise<void> {
  for (let step = 0; !done(); step += 1) {
    if (step > MAX_STEPS) throw new Error(`no progress after ${MAX_STEPS} steps: ${stuck()}`);
    if (scheduler.count() > 0) {
      await scheduler.waitOne();
      continue;
    }
    await turns();
    if (scheduler.count() > 0 || done()) continue;
    if (!clock.fireNext()) {
      await turns();
      if (scheduler.count() === 0 && !done()) throw new Error(stuck());
    }
  }
}

async function turns(n = 3): Promise<void> {
  for (let i = 0; i < n; i += 1) await new Promise((resolve) => setImmediate(resolve));
}
