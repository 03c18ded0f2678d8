import type fc from 'fast-check';

/**
 * Run parameters of a property from the environment: `FC_SEED` replays one seed, `FC_RUNS` sets the number of
 * runs, `FC_LONG=1` multiplies the default budget by `longFactor`. Without them: `defaultRuns` runs from a random
 * seed, which fast-check prints (with the path) when a run fails.
 */
export function fcParams<T>(defaultRuns: number, longFactor = 20): fc.Parameters<T> {
  const seed = process.env['FC_SEED'];
  const runs = process.env['FC_RUNS'];
  const numRuns =
    runs !== undefined && runs !== '' ? Number(runs) : defaultRuns * (process.env['FC_LONG'] === '1' ? longFactor : 1);
  return {
    numRuns,
    ...(seed !== undefined && seed !== '' ? { seed: Number(seed) } : {}),
    ...(process.env['FC_PATH'] ? { path: process.env['FC_PATH'] } : {}),
  };
}
