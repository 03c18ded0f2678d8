import type { Models, ProjectDoc } from '../db/models.js';
import type { KeyedQueue } from '../keyed-queue.js';
import type { StateCache } from '../project-state/state-cache.js';
import type { ProjectionScheduler } from './projection-scheduler.js';
import type { Projector } from './projector.js';

/** Projects the start-up repair checks at once. */
const REPAIR_CONCURRENCY = 16;

export interface RepairReadModelOptions {
  models: Models;
  projector: Projector;
  queue: KeyedQueue;
  states: StateCache;
  scheduler: ProjectionScheduler;
  /** Wraps each database step (availability check, error mapping). */
  guard: <T>(task: () => Promise<T>) => Promise<T>;
}

/**
 * Brings the read model of every project whose head lags its event log up to the log (after a
 * crash). Reads each project head once (every project with events has one: it is created before
 * the first event) and probes the log at `seq + 1` by primary key, `REPAIR_CONCURRENCY` at a time.
 * Returns how many projects were checked.
 */
export async function repairReadModel(options: RepairReadModelOptions): Promise<number> {
  const { models, projector, queue, states, scheduler, guard } = options;
  const heads = await guard(() =>
    models.Project.find({}).select({ seq: 1 }).lean<Pick<ProjectDoc, '_id' | 'seq'>[]>().exec(),
  );
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < heads.length) {
      const head = heads[next++]!;
      const projectId = head._id;
      if (!(await guard(() => projector.lags(projectId, head.seq)))) continue;
      await guard(() => queue.run(projectId, () => states.caughtUp(projectId)));
      await guard(() => scheduler.writeNow(projectId));
    }
  };
  await Promise.all(Array.from({ length: Math.min(REPAIR_CONCURRENCY, heads.length) }, worker));
  return heads.length;
}
