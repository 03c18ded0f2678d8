import type { AckData, ProtocolError, RequestData, RequestType, ServerEvent, Workspace } from '@app/protocol';
import { ChangeQueue, type ChangeFailure, type UpdateOptions } from './change-queue.js';
import type { ChangeRetryOptions } from './change-retry.js';
import { callSafely } from './emitter.js';
import { isRetryable, type ClientError, type RequestError } from './errors.js';
import type { RequestOptions } from './options.js';
import { applyEvent, isPlaceholderId, placeholderId } from './project-changes.js';
import type { SubscriptionHandlers } from './subscriptions.js';

export type { ChangeFailure, ChangeRequest, ChangeRequestType, UpdateOptions } from './change-queue.js';

/** The connection states of the client (same values as `client.state`). */
type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** What a project store needs of the client (`Client` has all of it). */
export interface ProjectStoreClient {
  readonly state: ConnectionState;
  subscribe(projectId: string, handlers: SubscriptionHandlers): () => void;
  request<TType extends RequestType>(
    type: TType,
    data: RequestData<TType>,
    options?: RequestOptions,
  ): Promise<AckData<TType>>;
  on(name: 'state', listener: (state: ConnectionState) => void): () => void;
}

/** Options of a project store. */
export interface ProjectStoreOptions {
  /** Called once by `close()`. */
  onClose?: (() => void) | undefined;
  retry?: ChangeRetryOptions | undefined;
  /** For tests: the timers of retries, and the jitter (a number in [0, 1)). */
  setTimeout?: ((run: () => void, ms: number) => unknown) | undefined;
  clearTimeout?: ((handle: unknown) => void) | undefined;
  random?: (() => number) | undefined;
}

/** One immutable view of a project; a new object after every change, the same object otherwise. */
export interface ProjectSnapshot {
  readonly projectId: string;
  /** `loading` until the first snapshot; `failed` when subscribing was refused for good (see `error`). */
  readonly status: 'loading' | 'ready' | 'failed';
  /** The ordered workspaces: the server's state with this client's unconfirmed changes on top. */
  readonly workspaces: readonly Workspace[];
  /** The last event seq applied from the server. */
  readonly seq: number;
  /** Workspaces with a change of this client not confirmed yet (including stand-ins of creates). */
  readonly pendingIds: ReadonlySet<string>;
  /** Changes of this client the server has not acknowledged yet (waiting offline, or on the wire). */
  readonly queued: number;
  /** Changes that did not go through (refused, or unconfirmed after retries), oldest first, until dismissed. */
  readonly failures: readonly ChangeFailure[];
  /** Why subscribing failed, if it did. */
  readonly error: RequestError | undefined;
  readonly connection: ConnectionState;
}

/**
 * A live project: the ordered workspace list kept current from the subscription (events in seq order,
 * a fresh snapshot after a resync), with this client's changes shown at once (see `ChangeQueue`): rolled back
 * when refused, sent again with the same id when the outcome is unknown, never written over a version of
 * another client this one has not seen. `subscribe` and `getSnapshot` fit React's `useSyncExternalStore` as they are.
 */
export class ProjectStore {
  readonly projectId: string;
  readonly #client: ProjectStoreClient;
  readonly #listeners = new Set<() => void>();
  readonly #queue: ChangeQueue;
  #confirmed: readonly Workspace[] = [];
  #seq = 0;
  #status: ProjectSnapshot['status'] = 'loading';
  #error: RequestError | undefined;
  #snapshot: ProjectSnapshot;
  readonly #stop: Array<() => void>;

  /**
   * `onClose` (or `options.onClose`): called once by `close()` (the client forgets the store, so
   * `client.project(id)` makes a new one).
   */
  constructor(
    client: ProjectStoreClient,
    projectId: string,
    onClose?: (() => void) | undefined,
    options: ProjectStoreOptions = {},
  ) {
    this.#client = client;
    this.projectId = projectId;
    this.#queue = new ChangeQueue({
      request: (type, data, requestOptions) => client.request(type, data, requestOptions),
      confirmedVersion: (id) => this.#confirmed.find((w) => w.id === id)?.version,
      changed: () => this.#changed(),
      retry: options.retry,
      setTimeout: options.setTimeout,
      clearTimeout: options.clearTimeout,
      random: options.random,
    });
    this.#snapshot = this.#build();
    this.#stop = [
      client.subscribe(projectId, {
        onSnapshot: (workspaces, seq) => this.#onSnapshot(workspaces, seq),
        onEvent: (event) => this.#onEvent(event),
        onError: (error) => this.#onError(error),
      }),
      client.on('state', () => this.#changed()),
    ];
    if (onClose !== undefined) this.#stop.push(onClose);
    if (options.onClose !== undefined) this.#stop.push(options.onClose);
  }

  /** Calls `listener` after every change of the snapshot; returns the function that stops it. */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  };

  /** The current snapshot: the same object until something changes. */
  readonly getSnapshot = (): ProjectSnapshot => this.#snapshot;

  /** Adds a workspace (at the end unless `position` says otherwise); shown at once as a stand-in. */
  create(input: Omit<RequestData<'workspace.create'>, 'projectId'>): Promise<Workspace> {
    const requestId = globalThis.crypto.randomUUID();
    const now = new Date().toISOString();
    const workspace: Workspace = {
      id: placeholderId(requestId),
      projectId: this.projectId,
      name: input.name,
      position: this.#snapshot.workspaces.length,
      version: 1,
      data: input.data ?? {},
      createdAt: now,
      updatedAt: now,
    };
    const data = { ...input, projectId: this.projectId };
    return this.#queue
      .add({ kind: 'create', requestId, workspace }, 'workspace.create', data)
      .then((ack) => ack.workspace);
  }

  /**
   * Renames and/or replaces `data`. Conditional on the version this client has seen, so a change someone else
   * made first is refused with `CONFLICT`, unless `overwrite`. Made while an update of the same workspace is on
   * its way, it is sent once that one is acknowledged, on the version its ack reports (or fails with it).
   */
  update(id: string, patch: RequestData<'workspace.update'>['patch'], options: UpdateOptions = {}): Promise<Workspace> {
    return this.#queue.update(id, patch, options);
  }

  /**
   * The newest version of a workspace this client has seen: the server's (from its events), or the version its
   * own acknowledged update produced. An update made with it while another update of this client to the
   * workspace is on its way is built on that one (see `update`). Undefined for a workspace not on the server (yet).
   */
  expectedVersion(id: string): number | undefined {
    return this.#queue.expectedVersion(id);
  }

  /** Deletes a workspace. */
  delete(id: string): Promise<void> {
    const requestId = globalThis.crypto.randomUUID();
    return this.#queue.add({ kind: 'delete', requestId, workspaceId: id }, 'workspace.delete', { id }).then(() => {});
  }

  /** Sets the order of the project's workspaces (ids of stand-ins are left out: they are not on the server yet). */
  reorder(order: readonly string[]): Promise<void> {
    const requestId = globalThis.crypto.randomUUID();
    const ids = order.filter((id) => !isPlaceholderId(id));
    const data = { projectId: this.projectId, order: ids };
    return this.#queue.add({ kind: 'reorder', requestId, order: ids }, 'workspace.reorder', data).then(() => {});
  }

  /** Moves one workspace to `index` of the list as shown. */
  move(id: string, index: number): Promise<void> {
    const order = this.#snapshot.workspaces.map((w) => w.id).filter((other) => other !== id);
    order.splice(Math.max(0, Math.min(index, order.length)), 0, id);
    return this.reorder(order);
  }

  /**
   * Forgets a failure. A refused change is rolled back already; an unconfirmed one stops being shown (if it was
   * applied, its event still brings it), and updates of the same workspace waiting for it fail.
   */
  dismiss(failureId: string): void {
    this.#queue.dismiss(failureId);
  }

  /**
   * Stops following the project; listeners get no more calls. Changes waiting to be sent (behind another
   * update, or for a retry) are not sent: their promises reject with `CLOSED`.
   */
  close(): void {
    for (const stop of this.#stop.splice(0)) stop();
    this.#listeners.clear();
    this.#queue.close();
  }

  #onSnapshot(workspaces: Workspace[], seq: number): void {
    this.#confirmed = workspaces;
    this.#seq = seq;
    this.#status = 'ready';
    this.#error = undefined;
    this.#queue.onSnapshot();
    this.#changed();
  }

  #onEvent(event: ServerEvent): void {
    this.#confirmed = applyEvent(this.#confirmed, event);
    this.#seq = event.seq;
    this.#queue.onEvent(event);
    this.#changed();
  }

  #onError(error: ProtocolError | ClientError): void {
    this.#error = error;
    if (!isRetryable(error)) this.#status = 'failed'; // retryable ones are retried by the client
    this.#changed();
  }

  #changed(): void {
    this.#snapshot = this.#build();
    for (const listener of [...this.#listeners]) callSafely(listener);
  }

  #build(): ProjectSnapshot {
    return {
      projectId: this.projectId,
      status: this.#status,
      ...this.#queue.apply(this.#confirmed),
      seq: this.#seq,
      failures: this.#queue.failures,
      error: this.#error,
      connection: this.#client.state,
    };
  }
}
