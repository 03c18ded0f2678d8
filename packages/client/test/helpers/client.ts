import WebSocket from 'ws';
import { createClient, type Client, type ClientEvents, type ClientOptions } from '../../src/index.js';

/** Options for fast tests: tiny reconnect delays, the `ws` class. */
export function testClient(url: string | readonly string[], options: Partial<ClientOptions> = {}): Client {
  return createClient({
    url,
    WebSocket,
    reconnect: { baseDelayMs: 2, maxDelayMs: 10 },
    ...options,
  });
}

/** Resolves with the next emission of a client event that matches. */
export function next<TName extends keyof ClientEvents>(
  client: Client,
  name: TName,
  match: (...args: Parameters<ClientEvents[TName]>) => boolean = () => true,
): Promise<Parameters<ClientEvents[TName]>[0]> {
  return new Promise((resolve) => {
    const off = client.on(name, ((...args: Parameters<ClientEvents[TName]>) => {
      if (!match(...args)) return;
      off();
      resolve(args[0]);
    }) as ClientEvents[TName]);
  });
}

/** Records every state change. */
export function recordStates(client: Client): string[] {
  const states: string[] = [client.state];
  client.on('state', (state) => states.push(state));
  return states;
}

/** A promise with its resolve function exposed. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Records a subscription's callbacks as short strings ('snapshot:w1,w2@2', 'event:3', 'resync', 'error:CODE'). */
export function recordSubscription(client: Client, projectId: string) {
  const log: string[] = [];
  const waiters: { entry: string; resolve: () => void }[] = [];
  const push = (entry: string) => {
    log.push(entry);
    for (const waiter of waiters.filter((w) => w.entry === entry)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };
  const unsubscribe = client.subscribe(projectId, {
    onSnapshot: (workspaces, seq) => push(`snapshot:${workspaces.map((w) => w.id).join(',')}@${seq}`),
    onEvent: (event) => push(`event:${event.seq}`),
    onResync: () => push('resync'),
    onError: (error) => push(`error:${error.code}`),
  });
  /** Resolves once `entry` has been logged. */
  const wait = (entry: string): Promise<void> =>
    log.includes(entry) ? Promise.resolve() : new Promise((resolve) => waiters.push({ entry, resolve }));
  return { log, unsubscribe, wait };
}
