/**
 * Limits how many event-log reads for replays and catch-ups run at once on this server, so a storm
 * of replays shares the database with the writers instead of queueing thousands of reads ahead of
 * their inserts. Waiters are served in arrival order.
 */
export class ReadGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly maxConcurrent: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.maxConcurrent) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running += 1;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next !== undefined)
        next(); // the slot passes to the next waiter
      else this.running -= 1;
    }
  }
}
