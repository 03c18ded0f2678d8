/** Runs tasks one at a time per key, in the order they were queued. Keys with nothing queued hold no memory. */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();
  /** Per key, the batch queued last and not started yet, which later items may join. */
  private readonly open = new Map<string, unknown[]>();

  /**
   * Adds `item` to the key's batch that has not started yet, or queues a new batch after everything
   * queued so far. A batch runs `process` once with all its items (at most `maxItems`).
   */
  enqueueBatch<T>(key: string, item: T, process: (items: T[]) => Promise<void>, maxItems: number): void {
    const open = this.open.get(key) as T[] | undefined;
    if (open !== undefined && open.length < maxItems) {
      open.push(item);
      return;
    }
    const items: T[] = [item];
    void this.run(key, async () => {
      if (this.open.get(key) === items) this.open.delete(key);
      await process(items);
    });
    this.open.set(key, items);
  }

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    this.open.delete(key); // nothing queued after this task may run before it
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Resolves when everything queued so far has finished. */
  async drain(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }

  /** Whether a task of this key is queued or running. */
  busy(key: string): boolean {
    return this.tails.has(key);
  }

  get size(): number {
    return this.tails.size;
  }
}

/**
 * Keeps one caller's requests in arrival order where they enter the per-project queues, without
 * waiting for each to finish: a request takes its turn, resolves its project, enqueues, and releases.
 */
export class Sequencer {
  private tail: Promise<void> = Promise.resolve();

  turn(): { ready: Promise<void>; release: () => void } {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const ready = this.tail;
    this.tail = gate;
    return { ready, release };
  }
}
