/**
 * fast-check run parameters from the environment, the same in every property test: `FC_SEED` replays
 * one seed (with `FC_PATH` for one counterexample), `FC_RUNS` sets the number of runs, `FC_LONG=1`
 * multiplies the bounded default by 20.
 */
export function fcParams(defaultRuns: number): { seed?: number; path?: string; numRuns: number } {
  const seed = process.env['FC_SEED'];
  const path = process.env['FC_PATH'];
  const runs = process.env['FC_RUNS'];
  const numRuns = runs !== undefined ? Number(runs) : process.env['FC_LONG'] === '1' ? defaultRuns * 20 : defaultRuns;
  return {
    ...(seed !== undefined ? { seed: Number(seed) } : {}),
    ...(path !== undefined ? { path } : {}),
    numRuns,
  };
}
