// The shared convention of the generated runs: FC_SEED replays one seed (with FC_PATH, one
// counterexample's path), FC_RUNS sets the number of runs, FC_LONG=1 runs `long` times the default.
import type { Parameters } from 'fast-check';

export function fcOptions<T>(defaultRuns: number, long = 20): Parameters<T> {
  const { FC_SEED, FC_PATH, FC_RUNS, FC_LONG } = process.env;
  const numRuns = FC_RUNS !== undefined ? Number(FC_RUNS) : FC_LONG === '1' ? defaultRuns * long : defaultRuns;
  const options: Parameters<T> = { numRuns, endOnFailure: FC_SEED === undefined };
  if (FC_SEED !== undefined) options.seed = Number(FC_SEED);
  if (FC_PATH !== undefined) options.path = FC_PATH;
  return options;
}
