import { setTimeout as delay } from 'node:timers/promises';
import { ProtocolError } from '@app/protocol';

/**
 * How long a batch keeps planning again while other nodes take the project's next seqs first (each
 * round someone stores: the project moves on). Past it the batch is refused with UNAVAILABLE.
 */
const CONTENTION_TIMEOUT_MS = 30_000;
/** Longest random wait before a batch plans again after losing its seqs to another node many times in a row. */
const MAX_CONTENTION_BACKOFF_MS = 10;

/**
 * Runs rounds of a batch until every item is answered: `round` returns the items that must be planned
 * again (another node took the seqs). Contention is not an error: after a few lost rounds each one
 * waits a random moment first, and only past `CONTENTION_TIMEOUT_MS` are the rest refused. A round
 * that throws ends the batch with `onError`.
 */
export async function commitDespiteContention<T extends { reject: (error: unknown) => void }>(
  items: T[],
  round: (items: T[]) => Promise<T[]>,
  onError: (error: unknown, remaining: T[]) => void,
): Promise<void> {
  let remaining = items;
  const started = Date.now();
  for (let attempt = 0; remaining.length > 0; attempt += 1) {
    if (attempt > 0 && Date.now() - started > CONTENTION_TIMEOUT_MS) {
      const refusal = new ProtocolError(
        'UNAVAILABLE',
        `Other nodes kept taking this project's next seq for ${CONTENTION_TIMEOUT_MS / 1000} s; retry`,
      );
      for (const item of remaining) item.reject(refusal);
      return;
    }
    // Lost the race for a seq several times in a row: step aside a random moment (a few ms at most,
    // so a node that keeps winning does not starve the others), then plan again on the caught-up state.
    if (attempt > 3) await delay(Math.random() * Math.min(MAX_CONTENTION_BACKOFF_MS, attempt));
    try {
      remaining = await round(remaining);
    } catch (error) {
      onError(error, remaining);
      return;
    }
  }
}
