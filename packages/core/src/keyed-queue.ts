/** Runs tasks one at a time per key, in the order they were queued. Keys with nothing queued hold no memory. */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
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
