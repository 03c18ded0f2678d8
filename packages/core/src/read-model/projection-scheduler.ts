import type { KeyedQueue } from '../keyed-queue.js';
import type { Logger } from '../logger.js';
import type { ProjectState } from '../project-state/project-state.js';
import { restoreSnapshot, takeSnapshot } from './projection-snapshot.js';
import type { Projector } from './projector.js';

/** Longest wait between attempts to write the read model while the database fails. */
const MAX_WRITE_RETRY_MS = 30_000;

export interface ProjectionSchedulerOptions {
  projector: Projector;
  /** The per-project queue: a snapshot is taken in the project's turn, between batches. */
  queue: KeyedQueue;
  logger: Logger;
  isAvailable: () => boolean;
  /** How long after a commit the read model is written (commits meanwhile are written together); 0: right away. */
  projectionDelayMs: number;
  /** This node's state of a project, if it holds one (without touching the cache's order). */
  stateOf: (projectId: string) => ProjectState | undefined;
}

/**
 * When the read model of each project is written: once per delay after commits, however many, with
 * failed writes retried at a doubling delay. Acks never wait for it.
 */
export class ProjectionScheduler {
  /** Pending and running writes, per project. */
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly writing = new Map<string, Promise<void>>();
  private readonly failures = new Map<string, number>();
  private stopped = false;

  constructor(private readonly options: ProjectionSchedulerOptions) {}

  /** Writes the project's read model after `delayMs` (the configured delay unless given), unless a write is pending. */
  schedule(projectId: string, delayMs = this.options.projectionDelayMs): void {
    if (this.stopped || this.timers.has(projectId)) return;
    const timer = setTimeout(() => {
      this.timers.delete(projectId);
      void this.writeOrRetry(projectId);
    }, delayMs);
    timer.unref();
    this.timers.set(projectId, timer);
  }

  /** Whether a write of the project's read model is running (its state must stay cached till it ends). */
  isWriting(projectId: string): boolean {
    return this.writing.has(projectId);
  }

  /** Writes the project's read model now; a failure is thrown to the caller (and nothing is retried). */
  writeNow(projectId: string): Promise<void> {
    return this.write(projectId, (error) => {
      throw error;
    });
  }

  /** Writes the project's read model now; a failure is logged and the write retried later. */
  writeOrRetry(projectId: string): Promise<void> {
    return this.write(projectId, (error) => {
      // Retried with a doubling delay, so an outage costs a few attempts and log lines, not one per commit.
      const failures = (this.failures.get(projectId) ?? 0) + 1;
      this.failures.set(projectId, failures);
      const retryMs = Math.min(MAX_WRITE_RETRY_MS, Math.max(this.options.projectionDelayMs, 250) * 2 ** (failures - 1));
      this.options.logger.warn(
        `read model of ${projectId} not written yet (retry in ${retryMs} ms): ${(error as Error).message}`,
      );
      this.schedule(projectId, retryMs);
    });
  }

  /** Writes now what the read model lacks of these projects, instead of after the delay. */
  async flush(projectIds: Iterable<string>): Promise<void> {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.all([...projectIds].map((projectId) => this.writeOrRetry(projectId)));
  }

  /** Nothing is scheduled after this (graceful shutdown); writes asked for directly still run. */
  stop(): void {
    this.stopped = true;
  }

  /**
   * Catches the state up with the log (so no older state than there is gets written), takes what is
   * dirty, and writes it. One write per project at a time: a second waits for the first, then runs.
   */
  private write(projectId: string, onFailure: (error: unknown) => void): Promise<void> {
    const running = this.writing.get(projectId);
    if (running !== undefined) return running.then(() => this.write(projectId, onFailure));
    const { projector, queue, isAvailable, stateOf } = this.options;
    const task = (async () => {
      const state = stateOf(projectId);
      if (state === undefined) return;
      if (!isAvailable()) throw new Error('the database is unreachable');
      const snapshot = await queue.run(projectId, async () => {
        if (!state.headDirty && state.dirty.size === 0) return undefined;
        await projector.catchUp(projectId, state);
        return takeSnapshot(projectId, state);
      });
      if (snapshot === undefined) return;
      try {
        await projector.write(snapshot);
      } catch (error) {
        restoreSnapshot(state, snapshot);
        throw error;
      }
    })()
      .then(() => {
        this.failures.delete(projectId);
      })
      .catch(onFailure)
      .finally(() => {
        if (this.writing.get(projectId) === task) this.writing.delete(projectId);
      });
    this.writing.set(projectId, task);
    return task;
  }
}
