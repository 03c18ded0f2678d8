import { describe, expect, it } from 'vitest';
import { KeyedQueue, Sequencer } from '../../src/keyed-queue.js';

/** A promise with its resolve and reject at hand. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('KeyedQueue.run', () => {
  it('runs the tasks of one key one at a time, in the order they were queued', async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    const first = deferred();
    const a = queue.run('k', async () => {
      log.push('a start');
      await first.promise;
      log.push('a end');
      return 'a';
    });
    const b = queue.run('k', () => {
      log.push('b');
      return Promise.resolve('b');
    });
    await Promise.resolve();
    expect(log).toEqual(['a start']);
    first.resolve();
    expect(await Promise.all([a, b])).toEqual(['a', 'b']);
    expect(log).toEqual(['a start', 'a end', 'b']);
  });

  it('runs tasks of different keys without waiting for each other', async () => {
    const queue = new KeyedQueue();
    const blocked = deferred();
    const slow = queue.run('slow', () => blocked.promise);
    expect(await queue.run('other', () => Promise.resolve('done'))).toBe('done');
    expect(queue.busy('slow')).toBe(true);
    blocked.resolve();
    await slow;
  });

  it('runs the next task after one that fails, and hands the failure to its caller only', async () => {
    const queue = new KeyedQueue();
    const failing = queue.run('k', () => Promise.reject(new Error('boom')));
    const next = queue.run('k', () => Promise.resolve(2));
    await expect(failing).rejects.toThrow('boom');
    expect(await next).toBe(2);
  });

  it('holds no memory for a key once its tasks are done', async () => {
    const queue = new KeyedQueue();
    await queue.run('k', () => Promise.resolve());
    await queue.drain();
    expect(queue.busy('k')).toBe(false);
    expect(queue.size).toBe(0);
  });
});

describe('KeyedQueue.enqueueBatch', () => {
  it('gathers items queued before the batch starts into one batch, up to maxItems', async () => {
    const queue = new KeyedQueue();
    const batches: number[][] = [];
    const process = (items: number[]): Promise<void> => {
      batches.push(items);
      return Promise.resolve();
    };
    for (let i = 0; i < 5; i += 1) queue.enqueueBatch('k', i, process, 2);
    await queue.drain();
    expect(batches).toEqual([[0, 1], [2, 3], [4]]);
  });

  it('starts a new batch for items queued while a batch runs', async () => {
    const queue = new KeyedQueue();
    const batches: string[][] = [];
    const running = deferred();
    const started = deferred();
    queue.enqueueBatch(
      'k',
      'first',
      async (items) => {
        batches.push(items);
        started.resolve();
        await running.promise;
      },
      10,
    );
    await started.promise;
    const process = (items: string[]): Promise<void> => {
      batches.push(items);
      return Promise.resolve();
    };
    queue.enqueueBatch('k', 'second', process, 10);
    queue.enqueueBatch('k', 'third', process, 10);
    running.resolve();
    await queue.drain();
    expect(batches).toEqual([['first'], ['second', 'third']]);
  });

  it('never lets an item queued after a run join a batch queued before it', async () => {
    const queue = new KeyedQueue();
    const order: string[] = [];
    const process = (items: string[]): Promise<void> => {
      order.push(items.join('+'));
      return Promise.resolve();
    };
    queue.enqueueBatch('k', 'a', process, 10);
    void queue.run('k', () => {
      order.push('read');
      return Promise.resolve();
    });
    queue.enqueueBatch('k', 'b', process, 10);
    await queue.drain();
    expect(order).toEqual(['a', 'read', 'b']);
  });
});

describe('KeyedQueue.drain', () => {
  it('resolves once everything queued so far, and what it queued in turn, has finished', async () => {
    const queue = new KeyedQueue();
    const done: string[] = [];
    void queue.run('a', async () => {
      await Promise.resolve();
      void queue.run('b', () => {
        done.push('b');
        return Promise.resolve();
      });
      done.push('a');
    });
    await queue.drain();
    expect(done).toEqual(['a', 'b']);
    expect(queue.size).toBe(0);
  });
});

describe('Sequencer', () => {
  it("lets one caller's turns in one after another, each as soon as the previous one releases", async () => {
    const sequencer = new Sequencer();
    const first = sequencer.turn();
    const second = sequencer.turn();
    const entered: string[] = [];
    const secondIn = second.ready.then(() => entered.push('second'));
    await first.ready;
    entered.push('first');
    await Promise.resolve();
    expect(entered).toEqual(['first']);
    first.release();
    await secondIn;
    expect(entered).toEqual(['first', 'second']);
    second.release();
  });
});
