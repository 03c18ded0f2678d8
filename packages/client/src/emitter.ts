/** Calls a listener supplied by the app; its exception is rethrown on its own (like an uncaught error) so our state stays consistent. */
export function callSafely(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

type Listener = (...args: never[]) => void;

/** A minimal typed event emitter (no Node `events`, so it runs in browsers). */
export class Emitter<TEvents extends { [K in keyof TEvents]: Listener }> {
  readonly #listeners = new Map<keyof TEvents, Set<TEvents[keyof TEvents]>>();

  /** Adds a listener; returns the function that removes it. */
  on<TName extends keyof TEvents>(name: TName, listener: TEvents[TName]): () => void {
    let set = this.#listeners.get(name);
    if (set === undefined) this.#listeners.set(name, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  emit<TName extends keyof TEvents>(name: TName, ...args: Parameters<TEvents[TName]>): void {
    const set = this.#listeners.get(name);
    if (set === undefined) return;
    for (const listener of [...set]) {
      callSafely(() => (listener as (...a: Parameters<TEvents[TName]>) => void)(...args));
    }
  }
}
