import type { EventBus } from '../bus/event-bus.js';
import type { EventLog } from '../event-log.js';
import type { KeyedQueue } from '../keyed-queue.js';
import type { Logger } from '../logger.js';
import type { StateCache } from '../project-state/state-cache.js';
import { toServerEvent } from '../wire-events.js';

/** Longest wait between attempts to announce while the database fails. */
const MAX_ANNOUNCE_RETRY_MS = 30_000;

export interface UnknownOutcomeAnnouncerOptions {
  queue: KeyedQueue;
  states: StateCache;
  log: EventLog;
  bus: EventBus;
  logger: Logger;
  isAvailable: () => boolean;
  /** Most events announced at once. */
  maxEvents: number;
}

/**
 * After a write of unknown outcome (the connection broke, a timeout), the events may be stored
 * although no one was acked: once the database answers again, this publishes every event the log
 * holds past the state the write planned on (the bus and the rooms drop what subscribers already
 * have), so a stored event reaches subscribers without waiting for the next write, on a single node too.
 */
export class UnknownOutcomeAnnouncer {
  private stopped = false;

  constructor(private readonly options: UnknownOutcomeAnnouncerOptions) {}

  /** Announces the project's stored events past `afterSeq` soon; retried with a doubling delay while the database fails. */
  announceAfter(projectId: string, afterSeq: number, failures = 0): void {
    if (this.stopped) return;
    const { queue, states, log, bus, logger, isAvailable, maxEvents } = this.options;
    const timer = setTimeout(
      () => {
        void (async () => {
          if (this.stopped) return;
          if (!isAvailable()) throw new Error('the database is unreachable');
          const events = await queue.run(projectId, async () => {
            const state = await states.caughtUp(projectId);
            return log.readAfter(projectId, afterSeq, maxEvents, state.seq);
          });
          for (const event of events) bus.publish(toServerEvent(event));
        })().catch((error: unknown) => {
          logger.warn(`events of ${projectId} after seq ${afterSeq} not announced yet: ${(error as Error).message}`);
          this.announceAfter(projectId, afterSeq, failures + 1);
        });
      },
      Math.min(MAX_ANNOUNCE_RETRY_MS, 100 * 2 ** failures),
    );
    timer.unref();
  }

  /** Nothing is scheduled after this (graceful shutdown). */
  stop(): void {
    this.stopped = true;
  }
}
