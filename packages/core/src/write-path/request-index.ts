import type { EventDoc } from '../db/models.js';
import type { EventLog } from '../event-log.js';
import type { Logger } from '../logger.js';

/** Longest wait between attempts to write entries of the `requests` index that failed. */
const MAX_RETRY_MS = 30_000;

/** Finds the event a request id was applied with (see `EventLog.findByKey`). */
export interface AppliedRequests {
  findByKey(key: string): Promise<EventDoc | null>;
}

/**
 * The `requests` index of applied request ids (`EventLog.findByKey`), with the entries of stored
 * events whose index write failed after their ack: until they are written (retried with a doubling
 * delay) a retry of such a request is found here, so it gets its original answer and never a
 * refusal planned against the state it produced.
 */
export class RequestIndex implements AppliedRequests {
  /** Events stored and acked whose `requests` entries may be missing, by key. */
  private readonly unwritten = new Map<string, EventDoc>();
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;

  constructor(
    private readonly log: EventLog,
    private readonly logger: Logger,
  ) {}

  async findByKey(key: string): Promise<EventDoc | null> {
    return this.unwritten.get(key) ?? (await this.log.findByKey(key));
  }

  /** Stored events whose entries may be missing (writing them failed): kept here and written again soon. */
  repair(events: readonly EventDoc[]): void {
    for (const event of events) if (event.key.startsWith('[')) this.unwritten.set(event.key, event);
    if (this.unwritten.size > 0) this.schedule();
  }

  /** How many entries wait to be written. */
  get pending(): number {
    return this.unwritten.size;
  }

  /** Graceful shutdown: writes what is missing once more; nothing is retried after it. */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.unwritten.size > 0) await this.writeUnwritten();
  }

  private schedule(): void {
    if (this.stopped || this.timer !== undefined) return;
    this.timer = setTimeout(() => void this.writeUnwritten(), Math.min(MAX_RETRY_MS, 100 * 2 ** this.failures));
    this.timer.unref();
  }

  private async writeUnwritten(): Promise<void> {
    const events = [...this.unwritten.values()];
    try {
      await this.log.indexKeys(events);
      for (const event of events) if (this.unwritten.get(event.key) === event) this.unwritten.delete(event.key);
      this.failures = 0;
    } catch (error) {
      this.failures += 1;
      this.logger.warn(`${events.length} request ids not indexed yet: ${(error as Error).message}`);
    } finally {
      this.timer = undefined;
    }
    if (this.unwritten.size > 0) this.schedule();
  }
}
