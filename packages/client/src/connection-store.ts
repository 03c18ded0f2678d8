import { callSafely } from './emitter.js';

/** The connection states of the client (same values as `client.state`). */
type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** What a connection store needs of the client (`Client` has it). */
export interface ConnectionStoreClient {
  readonly state: ConnectionState;
  on(name: 'state', listener: (state: ConnectionState) => void): () => void;
  on(name: 'reconnect', listener: (info: { delayMs: number; attempt: number }) => void): () => void;
}

/** The client's connection, for a status badge. */
export interface ConnectionSnapshot {
  readonly state: ConnectionState;
  /** While `reconnecting`: when the next attempt starts (`Date.now()` time), if it is scheduled. */
  readonly reconnectAt: number | undefined;
  /** Attempts that failed since the last open connection (0 right after a drop). */
  readonly failedAttempts: number;
}

/** The client's connection state with subscribe / getSnapshot, for React's `useSyncExternalStore`. */
export class ConnectionStore {
  readonly #listeners = new Set<() => void>();
  readonly #stop: Array<() => void>;
  #snapshot: ConnectionSnapshot;

  constructor(client: ConnectionStoreClient) {
    this.#snapshot = { state: client.state, reconnectAt: undefined, failedAttempts: 0 };
    this.#stop = [
      client.on('state', (state) =>
        this.#set({
          state,
          reconnectAt: state === 'reconnecting' ? this.#snapshot.reconnectAt : undefined,
          failedAttempts: state === 'open' ? 0 : this.#snapshot.failedAttempts,
        }),
      ),
      client.on('reconnect', ({ delayMs, attempt }) =>
        this.#set({ state: client.state, reconnectAt: Date.now() + delayMs, failedAttempts: attempt }),
      ),
    ];
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  };

  readonly getSnapshot = (): ConnectionSnapshot => this.#snapshot;

  close(): void {
    for (const stop of this.#stop.splice(0)) stop();
    this.#listeners.clear();
  }

  #set(snapshot: ConnectionSnapshot): void {
    this.#snapshot = snapshot;
    for (const listener of [...this.#listeners]) callSafely(listener);
  }
}
