import type { EventBus } from '../bus/event-bus.js';
import type { EventLog } from '../event-log.js';
import type { Logger } from '../logger.js';
import { toServerEvent } from '../wire-events.js';

/** Longest wait between attempts to announce while the database fails. */
const MAX_ANNOUNCE_RETRY_MS = 30_000;

export interface UnknownOutcomeAnnouncerOptions {
  log: EventLog;
  bus: EventBus;
  logger: Logger;
  isAvailable: () => boolean;
  /** Most events announced at once. */
  maxEvents: number;
}

/**
 * After a write of unknown outcome (the connection broke, a timeout), the events may be stored
 * although no one was acked: once the database answers again, this publishes the events the log holds
 * at the seqs the write planned (the bus and the rooms drop what subscribers already have), so a
 * stored event reaches subscribers without waiting for the next write, on a single node too. It reads
 * only that range (the log is append-only: no queue, no caught-up state needed), whatever was written
 * after it.
 */
export class UnknownOutcomeAnnouncer {
  private stopped = false;

  constructor(private readonly options: UnknownOutcomeAnnouncerOptions) {}

  /**
   * Announces the project's stored events among seqs `afterSeq + 1 .. afterSeq + count` (a batch's)
   * soon; retried with a doubling delay while the database fails.
   */
  announceAfter(projectId: string, afterSeq: number, count: number, failures = 0): void {
    if (this.stopped || count <= 0) return;
    const { log, bus, logger, isAvailable, maxEvents } = this.options;
    const timer = setTimeout(
      () => {
        void (async () => {
          if (this.stopped) return;
          if (!isAvailable()) throw new Error('the database is unreachable');
          const last = afterSeq + Math.min(count, maxEvents);
          const events = await log.readAfter(projectId, afterSeq, last - afterSeq, last);
          for (const event of events) bus.publish(toServerEvent(event));
        })().catch((error: unknown) => {
          logger.warn(`events of ${projectId} after seq ${afterSeq} not announced yet: ${(error as Error).message}`);
          this.announceAfter(projectId, afterSeq, count, failures + 1);
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
