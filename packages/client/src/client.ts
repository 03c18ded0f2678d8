import type { AckData, RequestData, RequestType, ServerEvent } from '@app/protocol';
// Runtime imports only from the zod-free entry: a browser bundle of the client ships no zod (ADR 0009).
import {
  CLOSE_CODES,
  TERMINAL_CLOSE_CODES,
  checkRequestData,
  encodeRequest,
  errorFromFrame,
  ProtocolError,
} from '@app/protocol/lite';
import { Backoff, backoffDelay } from './backoff.js';
import { Connection, type CloseInfo, type HelloData, type IncomingMessage } from './connection.js';
import { ConnectionStore } from './connection-store.js';
import { Emitter } from './emitter.js';
import { ClientError, type RequestError } from './errors.js';
import {
  DEFAULT_ENHANCE_PROMPT_TIMEOUT_MS,
  resolveOptions,
  tokenFrom,
  urlWithToken,
  type ClientOptions,
  type RequestOptions,
} from './options.js';
import type { ResolvedOptions } from './options.js';
import { Outbox } from './outbox.js';
import { PendingRequests, type PendingRequest, type ReplyCallbacks } from './pending-requests.js';
import { ProjectStore } from './project-store.js';
import { Subscriptions, type SubscribeAck, type SubscriptionHandlers } from './subscriptions.js';

/** `connecting` (first attempt) -> `open` (after `hello`) -> `reconnecting` (after a drop) -> ... -> `closed`. */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface ClientEvents {
  /** The connection state changed. */
  state: (state: ConnectionState) => void;
  /** A connection became usable (after `hello`); resubscribes and resends have been sent. */
  open: (hello: HelloData) => void;
  /** A connection ended (before a reconnect, or a terminal close). */
  disconnect: (info: CloseInfo) => void;
  /** Every event of the client's subscriptions, in order, once (after the project's own handlers). */
  event: (event: ServerEvent) => void;
  /** A terminal close (`ClientError` `TERMINAL_CLOSE`), an `error` frame answering no request, a failed token. */
  error: (error: RequestError) => void;
  /** The next connection attempt starts in `delayMs`; `attempt` counts the failed ones since the last drop (0 first). */
  reconnect: (info: { delayMs: number; attempt: number }) => void;
}

type Reply<TType extends RequestType> = Promise<AckData<TType>>;

/**
 * Closes with 4001 (token expired or refused) in a row before the client gives up, when the `token`
 * function keeps giving tokens the server refuses (or the same expired one again).
 */
export const MAX_TOKEN_REFRESHES = 3;

/** The reconnecting client; made by `createClient`. */
export class Client {
  readonly #options: ResolvedOptions;
  readonly #emitter = new Emitter<ClientEvents>();
  readonly #pending = new PendingRequests();
  readonly #backoff: Backoff;
  readonly #outbox: Outbox<PendingRequest>;
  readonly #subscriptions: Subscriptions;
  #state: ConnectionState = 'connecting';
  #connection: Connection | undefined;
  #attempt = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #closeError: ClientError | undefined;
  #closing: Promise<void> | undefined;
  /** The token the current (or last) connection attempt used. */
  #token: string | undefined;
  /** The token of the last connection closed with 4001, and how many 4001 closes came in a row. */
  #refusedToken: string | undefined;
  #unauthorizedCloses = 0;
  readonly #projects = new Map<string, ProjectStore>();
  #connectionStore: ConnectionStore | undefined;

  constructor(options: ClientOptions) {
    this.#options = resolveOptions(options);
    const { reconnect, queue } = this.#options;
    this.#backoff = new Backoff(reconnect);
    this.#outbox = new Outbox<PendingRequest>({
      ...queue,
      onExpire: (request) => {
        const error = `${request.type} waited offline longer than ${queue.maxAgeMs} ms`;
        this.#pending.reject(request.id, new ClientError('QUEUE_EXPIRED', error, { details: { id: request.id } }));
      },
    });
    this.#subscriptions = new Subscriptions({
      subscribe: (data, onAck, onError) =>
        this.#internalRequest('subscribe', data, { resolve: (ack) => onAck(ack as SubscribeAck), reject: onError }),
      unsubscribe: (projectId) => this.#internalRequest('unsubscribe', { projectId }, { resolve() {}, reject() {} }),
      isOpen: () => this.#connection?.isOpen === true,
      onEvent: (event) => this.#emitter.emit('event', event),
      retryDelayMs: (attempt) => backoffDelay(attempt, reconnect, Math.random()),
    });
    this.#connect();
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** `hello` of the current connection, if one is open. */
  get hello(): HelloData | undefined {
    return this.#connection?.hello;
  }

  /** Why the client closed on its own (`TERMINAL_CLOSE`), if it did. */
  get closeError(): ClientError | undefined {
    return this.#closeError;
  }

  /** Listens to a client event; returns the function that stops listening. */
  on<TName extends keyof ClientEvents>(name: TName, listener: ClientEvents[TName]): () => void {
    return this.#emitter.on(name, listener);
  }

  /**
   * Sends a request and resolves with its typed ack data (for `ping`, the pong's `{ ts }`). Rejects with
   * `ProtocolError` (the server's `code`, `message`, `details`) or `ClientError` (`TIMEOUT`, `QUEUE_FULL`, ...).
   * While disconnected the request waits in the offline queue; a mutation on the wire when the connection
   * drops is resent with the same id after the reconnect.
   */
  request<TType extends RequestType>(
    type: TType,
    data: RequestData<TType>,
    options: RequestOptions = {},
  ): Promise<AckData<TType>> {
    if (this.#state === 'closed') return Promise.reject(this.#closedError());
    const checked = checkRequestData(type, data);
    if (!checked.ok) return Promise.reject(checked.error);
    const id = options.id ?? globalThis.crypto.randomUUID();
    if (this.#pending.has(id)) {
      return Promise.reject(new ProtocolError('INVALID_MESSAGE', `Request id ${id} is already in use`));
    }
    const frame = encodeRequest(type, id, data);
    const timeoutMs = options.timeoutMs ?? this.#options.requestTimeoutMs;
    const request: PendingRequest = { id, type, frame, timeoutMs, internal: false };
    const reply = this.#pending.add(request) as Promise<AckData<TType>>;
    if (this.#connection?.isOpen === true && this.#state === 'open') {
      this.#transmit(request);
    } else if (!this.#outbox.push(request)) {
      const max = this.#options.queue.maxSize;
      this.#pending.reject(id, new ClientError('QUEUE_FULL', `The offline queue is full (${max} requests)`));
    }
    return reply;
  }

  createWorkspace(data: RequestData<'workspace.create'>, options?: RequestOptions): Reply<'workspace.create'> {
    return this.request('workspace.create', data, options);
  }

  updateWorkspace(data: RequestData<'workspace.update'>, options?: RequestOptions): Reply<'workspace.update'> {
    return this.request('workspace.update', data, options);
  }

  deleteWorkspace(data: RequestData<'workspace.delete'>, options?: RequestOptions): Reply<'workspace.delete'> {
    return this.request('workspace.delete', data, options);
  }

  reorderWorkspaces(data: RequestData<'workspace.reorder'>, options?: RequestOptions): Reply<'workspace.reorder'> {
    return this.request('workspace.reorder', data, options);
  }

  listWorkspaces(data: RequestData<'workspace.list'>, options?: RequestOptions): Reply<'workspace.list'> {
    return this.request('workspace.list', data, options);
  }

  /** Asks the server's language model to rewrite a video prompt; changes nothing stored (see `prompt.enhance`). */
  enhancePrompt(data: RequestData<'prompt.enhance'>, options: RequestOptions = {}): Reply<'prompt.enhance'> {
    return this.request('prompt.enhance', data, { timeoutMs: DEFAULT_ENHANCE_PROMPT_TIMEOUT_MS, ...options });
  }

  /**
   * Starts a video job for a workspace; resolves once it is queued (every subscriber of the project then
   * gets its `video.status_update` events). CONFLICT while the workspace has a job in progress.
   */
  generateVideo(data: RequestData<'video.generate'>, options?: RequestOptions): Reply<'video.generate'> {
    return this.request('video.generate', data, options);
  }

  /** Cancels the workspace's video job in progress (NOT_FOUND when it has none). */
  cancelVideo(data: RequestData<'video.cancel'>, options?: RequestOptions): Reply<'video.cancel'> {
    return this.request('video.cancel', data, options);
  }

  /** The workspace's video jobs, newest first, finished ones included until the server's retention removes them. */
  listVideos(data: RequestData<'video.list'>, options?: RequestOptions): Reply<'video.list'> {
    return this.request('video.list', data, options);
  }

  /** Round trip to the server; resolves with the server time. */
  ping(options?: RequestOptions): Promise<AckData<'ping'>> {
    return this.request('ping', undefined, options);
  }

  /**
   * Follows a project: `onSnapshot` first, then every event once and in order, across reconnects.
   * Returns the function that unsubscribes (idempotent).
   */
  subscribe(projectId: string, handlers: SubscriptionHandlers): () => void {
    if (this.#state === 'closed') {
      const error = this.#closedError();
      queueMicrotask(() => handlers.onError?.(error));
      return () => {};
    }
    return this.#subscriptions.add(projectId, handlers);
  }

  /**
   * The live store of a project (one per project id and client, made on first use, until its `close()`): its
   * ordered workspaces, kept current, with this client's changes shown at once. See `ProjectStore`.
   */
  project(projectId: string): ProjectStore {
    let store = this.#projects.get(projectId);
    if (store === undefined) {
      store = new ProjectStore(this, projectId, () => this.#projects.delete(projectId), {
        retry: this.#options.changeRetry,
      });
      this.#projects.set(projectId, store);
    }
    return store;
  }

  /** The connection state with the time of the next attempt, as a store (`subscribe` / `getSnapshot`). */
  connection(): ConnectionStore {
    return (this.#connectionStore ??= new ConnectionStore(this));
  }

  /** Closes the connection and stops reconnecting; pending and queued requests reject with `CLOSED`. */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    if (this.#state === 'closed') return (this.#closing = Promise.resolve()); // after a terminal close
    const connection = this.#shutDown(new ClientError('CLOSED', 'The client was closed'), undefined);
    this.#closing = connection === undefined ? Promise.resolve() : connection.close(1000, 'client closed');
    return this.#closing;
  }

  #closedError(): ClientError {
    return this.#closeError ?? new ClientError('CLOSED', 'The client was closed');
  }

  /** Stops everything; returns the connection still to be closed, if any. */
  #shutDown(error: ClientError, terminal: ClientError | undefined): Connection | undefined {
    this.#closeError = terminal;
    this.#attempt += 1; // voids a token still being fetched
    if (this.#reconnectTimer !== undefined) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    const connection = this.#connection;
    this.#connection = undefined;
    this.#outbox.drain();
    this.#pending.rejectAll(error);
    this.#subscriptions.close(terminal);
    this.#setState('closed');
    return connection;
  }

  #setState(state: ConnectionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#emitter.emit('state', state);
  }

  #connect(): void {
    const attempt = ++this.#attempt;
    // Each attempt takes the next server in turn: failover when a node goes away.
    const url = this.#options.urls[(attempt - 1) % this.#options.urls.length]!;
    let token: string | undefined | Promise<string | undefined>;
    try {
      token = tokenFrom(this.#options.token);
    } catch (error) {
      return this.#tokenFailed(error);
    }
    if (typeof token === 'string' || token === undefined) return this.#openWith(url, token);
    token.then(
      (value) => attempt === this.#attempt && this.#openWith(url, value),
      (error: unknown) => attempt === this.#attempt && this.#tokenFailed(error),
    );
  }

  #openWith(url: string, token: string | undefined): void {
    this.#token = token;
    this.#open(urlWithToken(url, token, this.#options.tokenParam));
  }

  #tokenFailed(cause: unknown): void {
    if (this.#unauthorizedCloses > 0) {
      // Asked for a fresh token after a 4001: without one there is nothing to reconnect with.
      const message =
        'The server closed the connection with 4001 (unauthorized) and the token function failed; not reconnecting';
      return this.#terminate(
        new ClientError('TERMINAL_CLOSE', message, { closeCode: CLOSE_CODES.UNAUTHORIZED, cause }),
      );
    }
    this.#emitter.emit('error', new ClientError('TOKEN_FAILED', 'The token function failed', { cause }));
    this.#scheduleReconnect();
  }

  #open(url: string): void {
    const connection: Connection = new Connection({
      url,
      WebSocket: this.#options.WebSocket,
      connectTimeoutMs: this.#options.connectTimeoutMs,
      closeTimeoutMs: this.#options.closeTimeoutMs,
      keepAlive: this.#options.keepAlive,
      onOpen: (hello) => this.#connectionOnOpen(connection, hello),
      onMessage: (message) => this.#connectionOnMessage(connection, message),
      onInvalidFrame: (error) => this.#emitter.emit('error', error),
      onClose: (info) => this.#connectionOnClose(connection, info),
    });
    this.#connection = connection;
  }

  #connectionOnOpen(connection: Connection, hello: HelloData): void {
    if (connection !== this.#connection) return;
    this.#backoff.opened();
    // A token other than the one last refused got in: the refresh worked.
    if (this.#token !== this.#refusedToken) this.#unauthorizedCloses = 0;
    // Order on the wire: resubscribes, then resent and queued requests (oldest first), then new ones.
    this.#subscriptions.connected();
    for (const request of this.#outbox.drain()) this.#transmit(request);
    this.#setState('open');
    this.#emitter.emit('open', hello);
  }

  #connectionOnMessage(connection: Connection, message: IncomingMessage): void {
    if (connection !== this.#connection) return;
    if (message.type === 'page') {
      this.#pending.page(message); // part of a long list or snapshot: kept until its ack
      return;
    }
    if (message.type === 'ack' || message.type === 'pong' || message.type === 'error') {
      if (this.#pending.settle(message)) return;
      if (message.type === 'error') this.#emitter.emit('error', errorFromFrame(message));
      return; // a late reply (after a timeout) or a reply to a request of another client
    }
    this.#subscriptions.handleEvent(message);
  }

  #connectionOnClose(connection: Connection, info: CloseInfo): void {
    if (connection !== this.#connection) return;
    this.#connection = undefined;
    this.#outbox.requeue(this.#pending.disconnected());
    this.#subscriptions.disconnected();
    const terminal = TERMINAL_CLOSE_CODES.has(info.code) && !this.#refreshesToken(info.code);
    if (!terminal) this.#setState('reconnecting');
    this.#emitter.emit('disconnect', info);
    if (!terminal) return this.#scheduleReconnect();
    const reason = info.reason === '' ? '' : ` (${info.reason})`;
    const message = `The server closed the connection with ${info.code}${reason}; not reconnecting`;
    this.#terminate(
      new ClientError('TERMINAL_CLOSE', message, { closeCode: info.code, details: { reason: info.reason } }),
    );
  }

  /**
   * 4001 (the token expired, or the upgrade was refused with 401) is a reconnect with a fresh token when
   * `token` is a function, up to MAX_TOKEN_REFRESHES closes in a row; the count restarts once a token
   * other than the refused one opens a connection.
   */
  #refreshesToken(code: number): boolean {
    if (code !== CLOSE_CODES.UNAUTHORIZED || typeof this.#options.token !== 'function') return false;
    this.#refusedToken = this.#token;
    this.#unauthorizedCloses += 1;
    return this.#unauthorizedCloses <= MAX_TOKEN_REFRESHES;
  }

  /** A terminal close: everything pending rejects with `error`, which is also emitted. */
  #terminate(error: ClientError): void {
    this.#shutDown(error, error);
    this.#emitter.emit('error', error);
  }

  #scheduleReconnect(): void {
    if (this.#state === 'closed') return;
    this.#setState('reconnecting');
    const delay = this.#backoff.next();
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#connect();
    }, delay);
    this.#emitter.emit('reconnect', { delayMs: delay, attempt: this.#backoff.attempt - 1 });
  }

  /** Writes a request. A failed write counts as lost on the wire: the close that follows requeues it. */
  #transmit(request: PendingRequest): void {
    const max = this.#connection?.hello?.maxMessageBytes ?? Infinity;
    if (request.frame.length * 3 > max && new TextEncoder().encode(request.frame).length > max) {
      const error = `The ${request.type} frame is larger than the server's limit of ${max} bytes`;
      this.#pending.reject(request.id, new ClientError('TOO_LARGE', error));
      return;
    }
    this.#connection?.send(request.frame);
    this.#pending.sent(request.id);
  }

  #internalRequest<TType extends 'subscribe' | 'unsubscribe'>(
    type: TType,
    data: RequestData<TType>,
    callbacks: ReplyCallbacks,
  ): void {
    const id = globalThis.crypto.randomUUID();
    const frame = encodeRequest(type, id, data);
    const request: PendingRequest = { id, type, frame, timeoutMs: this.#options.requestTimeoutMs, internal: true };
    this.#pending.track(request, callbacks);
    this.#transmit(request);
  }
}

/** Creates a client and starts connecting. In Node pass `WebSocket` (the `ws` class). */
export function createClient(options: ClientOptions): Client {
  return new Client(options);
}
