import type { AckData, ProtocolError, RequestData, ServerEvent, Workspace } from '@app/protocol';
import { callSafely } from './emitter.js';
import { ClientError, isRetryable } from './errors.js';

/** What `subscribe()` reports for one project. Every handler is optional. */
export interface SubscriptionHandlers {
  /**
   * The project's full state and the seq it reflects. Called first, and again after a resync or when
   * the client needs a fresh snapshot: replace your state with it.
   */
  onSnapshot?: (workspaces: Workspace[], seq: number) => void;
  /** Each event once, in `seq` order with no gaps, after the snapshot. Narrow on `event.type`. */
  onEvent?: (event: ServerEvent) => void;
  /** The server could not replay what was missed (log trimmed, or a new epoch); a new snapshot follows. */
  onResync?: () => void;
  /**
   * Subscribing failed. Retryable errors (`TIMEOUT`, `UNAVAILABLE`, `RATE_LIMITED`, `INTERNAL`) are retried
   * with backoff; any other (e.g. `FORBIDDEN`, `TERMINAL_CLOSE`) ends the subscription.
   */
  onError?: (error: ProtocolError | ClientError) => void;
}

export type SubscribeAck = AckData<'subscribe'>;

export interface SubscriptionsDeps {
  /** Sends an internal `subscribe` request; the outcome comes synchronously, in wire order with events. */
  subscribe: (
    data: RequestData<'subscribe'>,
    onAck: (ack: SubscribeAck) => void,
    onError: (error: Error) => void,
  ) => void;
  /** Sends an `unsubscribe` (fire and forget) if a connection is open. */
  unsubscribe: (projectId: string) => void;
  isOpen: () => boolean;
  /** Every applied event, after the project's own handlers, and events of projects with no subscription here (e.g. a raw `request('subscribe')`). */
  onEvent: (event: ServerEvent) => void;
  /** Delay before retrying a failed subscribe, by attempt (0-based). */
  retryDelayMs: (attempt: number) => number;
}

interface Subscriber {
  readonly handlers: SubscriptionHandlers;
  /** Has had a snapshot, so it may receive events. */
  ready: boolean;
}

interface Entry {
  readonly projectId: string;
  readonly subscribers: Set<Subscriber>;
  /** Last applied seq; undefined until the first snapshot, and after a resync. */
  seq: number | undefined;
  epoch: string | undefined;
  /** Token of the outstanding subscribe request, 0 if none. */
  inFlight: number;
  inFlightIsSnapshot: boolean;
  /** Another subscribe is needed when the outstanding one ends. */
  again: boolean;
  /** Events beyond a gap, by seq, until the gap is filled. */
  ahead: Map<number, ServerEvent>;
  retryTimer: ReturnType<typeof setTimeout> | undefined;
  retries: number;
}

/** Events kept beyond a gap per project; more are dropped (the repair replays them). */
const MAX_AHEAD = 1_000;

/**
 * Per-project seq tracking: snapshot first, then events in order exactly once; gaps are repaired by
 * resubscribing with `sinceSeq`, `resync` reloads the snapshot, and every project is resumed on reconnect.
 */
export class Subscriptions {
  readonly #deps: SubscriptionsDeps;
  readonly #entries = new Map<string, Entry>();
  #nextToken = 0;

  constructor(deps: SubscriptionsDeps) {
    this.#deps = deps;
  }

  /** Adds handlers for a project; returns the function that removes them. */
  add(projectId: string, handlers: SubscriptionHandlers): () => void {
    let entry = this.#entries.get(projectId);
    if (entry === undefined) {
      entry = {
        projectId,
        subscribers: new Set(),
        seq: undefined,
        epoch: undefined,
        inFlight: 0,
        inFlightIsSnapshot: false,
        again: false,
        ahead: new Map(),
        retryTimer: undefined,
        retries: 0,
      };
      this.#entries.set(projectId, entry);
    }
    const subscriber: Subscriber = { handlers, ready: false };
    entry.subscribers.add(subscriber);
    this.#sync(entry);
    const added = entry;
    return () => this.#remove(added, subscriber);
  }

  /** Routes one event: apply in order, drop duplicates, buffer and repair after a gap. */
  handleEvent(event: ServerEvent): void {
    const entry = this.#entries.get(event.projectId);
    if (entry === undefined) return this.#deps.onEvent(event);
    if (entry.seq !== undefined && event.seq <= entry.seq) return; // duplicate
    if (entry.seq !== undefined && event.seq === entry.seq + 1) {
      this.#apply(entry, event);
      return this.#drain(entry);
    }
    if (entry.ahead.size < MAX_AHEAD) entry.ahead.set(event.seq, event);
    if (entry.seq !== undefined) this.#sync(entry); // a gap: resume from the last applied seq
  }

  /** A connection became usable: resume every project (with `sinceSeq` when known). */
  connected(): void {
    for (const entry of this.#entries.values()) this.#sync(entry);
  }

  /** The connection dropped: outstanding subscribes are void, buffered events are dropped. */
  disconnected(): void {
    for (const entry of this.#entries.values()) {
      entry.inFlight = 0;
      entry.again = false;
      entry.ahead.clear();
      entry.retries = 0;
      this.#stopRetry(entry);
    }
  }

  /** Ends every subscription; with an error, tells the handlers why. */
  close(error?: ClientError): void {
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    for (const entry of entries) {
      this.#stopRetry(entry);
      if (error !== undefined) this.#notify(entry, (h) => h.onError?.(error));
    }
  }

  #remove(entry: Entry, subscriber: Subscriber): void {
    if (!entry.subscribers.delete(subscriber) || entry.subscribers.size > 0) return;
    if (this.#entries.get(entry.projectId) !== entry) return;
    this.#entries.delete(entry.projectId);
    this.#stopRetry(entry);
    entry.inFlight = 0;
    if (this.#deps.isOpen()) this.#deps.unsubscribe(entry.projectId);
  }

  #needsSnapshot(entry: Entry): boolean {
    return entry.seq === undefined || [...entry.subscribers].some((s) => !s.ready);
  }

  #sync(entry: Entry): void {
    if (!this.#deps.isOpen() || entry.retryTimer !== undefined) return;
    const snapshot = this.#needsSnapshot(entry);
    if (entry.inFlight !== 0) {
      if (!(snapshot && entry.inFlightIsSnapshot)) entry.again = true;
      return;
    }
    const token = ++this.#nextToken;
    entry.inFlight = token;
    entry.inFlightIsSnapshot = snapshot;
    entry.again = false;
    const data: RequestData<'subscribe'> = { projectId: entry.projectId };
    if (!snapshot && entry.seq !== undefined) {
      data.sinceSeq = entry.seq;
      if (entry.epoch !== undefined) data.epoch = entry.epoch;
    }
    this.#deps.subscribe(
      data,
      (ack) => this.#onAck(entry, token, ack),
      (error) => this.#onFail(entry, token, error),
    );
  }

  #isCurrent(entry: Entry, token: number): boolean {
    return this.#entries.get(entry.projectId) === entry && entry.inFlight === token;
  }

  #onAck(entry: Entry, token: number, ack: SubscribeAck): void {
    if (!this.#isCurrent(entry, token)) return;
    entry.inFlight = 0;
    entry.retries = 0;
    entry.epoch = ack.epoch;
    if ('resync' in ack) {
      entry.seq = undefined;
      entry.ahead.clear();
      for (const subscriber of entry.subscribers) subscriber.ready = false;
      this.#notify(entry, (h) => h.onResync?.());
    } else if ('snapshot' in ack) {
      const previous = entry.seq;
      entry.seq = ack.seq;
      for (const subscriber of [...entry.subscribers]) {
        if (subscriber.ready && previous === ack.seq) continue; // already up to date
        subscriber.ready = true;
        callSafely(() => subscriber.handlers.onSnapshot?.(ack.snapshot, ack.seq));
      }
      // Subscribers that had applied events past the snapshot get them again after it.
      if (previous !== undefined && previous > ack.seq) entry.again = true;
      this.#drain(entry);
    } else if (entry.seq === undefined || entry.seq < ack.seq) {
      entry.again = true; // the replay ended short of the server's seq: ask again
    }
    if (entry.again || entry.ahead.size > 0 || this.#needsSnapshot(entry)) {
      entry.again = false;
      this.#sync(entry);
    }
  }

  #onFail(entry: Entry, token: number, error: unknown): void {
    if (!this.#isCurrent(entry, token)) return;
    entry.inFlight = 0;
    if (error instanceof ClientError && (error.code === 'CONNECTION_LOST' || error.code === 'CLOSED')) return;
    const reported = error as ProtocolError | ClientError;
    this.#notify(entry, (h) => h.onError?.(reported));
    if (!isRetryable(error)) {
      this.#entries.delete(entry.projectId);
      return;
    }
    const delay = this.#deps.retryDelayMs(entry.retries);
    entry.retries += 1;
    entry.retryTimer = setTimeout(() => {
      entry.retryTimer = undefined;
      this.#sync(entry);
    }, delay);
  }

  #apply(entry: Entry, event: ServerEvent): void {
    entry.seq = event.seq;
    // The live set: a subscriber removed by a handler is skipped, one added by it is not ready yet.
    for (const subscriber of entry.subscribers) {
      if (subscriber.ready) callSafely(() => subscriber.handlers.onEvent?.(event));
    }
    this.#deps.onEvent(event);
  }

  /** Applies buffered events that became contiguous, and forgets the stale ones. */
  #drain(entry: Entry): void {
    if (entry.seq === undefined) return;
    for (const seq of entry.ahead.keys()) if (seq <= entry.seq) entry.ahead.delete(seq);
    let next = entry.ahead.get(entry.seq + 1);
    while (next !== undefined && this.#entries.get(entry.projectId) === entry) {
      entry.ahead.delete(next.seq);
      this.#apply(entry, next);
      next = entry.ahead.get(entry.seq + 1);
    }
  }

  #notify(entry: Entry, call: (handlers: SubscriptionHandlers) => void): void {
    for (const subscriber of [...entry.subscribers]) callSafely(() => call(subscriber.handlers));
  }

  #stopRetry(entry: Entry): void {
    if (entry.retryTimer !== undefined) clearTimeout(entry.retryTimer);
    entry.retryTimer = undefined;
  }
}
