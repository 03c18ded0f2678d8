/** How often the watch expects a turn of the event loop. */
const TICK_MS = 100;

/**
 * Notices when this process's event loop did not turn for a while: the process was paused (SIGSTOP,
 * a frozen container) or blocked by a long synchronous task. A clock compared across such a pause
 * measures the pause, not the thing it watches: a heartbeat that looks stale afterwards tells
 * nothing about the database, whose answer may be waiting, unread, behind the expired timers.
 */
export class LoopStallWatch {
  private lastTurn = Date.now();
  private stallEndedAt = Number.NEGATIVE_INFINITY;
  private readonly timer: NodeJS.Timeout;

  /** `stallMs`: a gap between turns longer than this counts as a stall. */
  constructor(private readonly stallMs: number) {
    this.timer = setInterval(() => this.turn(), TICK_MS);
    this.timer.unref();
  }

  /** Whether the loop is stalled right now (no turn for `stallMs`), or a stall ended less than `windowMs` ago. */
  stalledWithin(windowMs: number): boolean {
    const now = Date.now();
    return now - this.lastTurn > this.stallMs || now - this.stallEndedAt < windowMs;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private turn(): void {
    const now = Date.now();
    if (now - this.lastTurn > this.stallMs) this.stallEndedAt = now;
    this.lastTurn = now;
  }
}
