import type { AckData, ProtocolError, RequestData, RequestType, ServerEvent, Workspace } from '@app/protocol';
import { callSafely } from './emitter.js';
import { isRetryable, type ClientError, type RequestError } from './errors.js';
import type { RequestOptions } from './options.js';
import { applyChange, applyEvent, isPlaceholderId, placeholderId, type PendingChange } from './project-changes.js';
import type { SubscriptionHandlers } from './subscriptions.js';

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

/** A change the server refused (or that could not be delivered): already rolled back on the board. */
export interface ChangeFailure {
  /** The request id of the change; pass it to `dismiss`. */
  readonly id: string;
  readonly kind: PendingChange['kind'];
  /** The workspace the change was about (none for a reorder). */
  readonly workspaceId: string | undefined;
  /** For an update: what it would have set, so the app can offer to overwrite. */
  readonly patch: RequestData<'workspace.update'>['patch'] | undefined;
  readonly error: RequestError;
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
  /** Refused changes, oldest first, until dismissed. */
  readonly failures: readonly ChangeFailure[];
  /** Why subscribing failed, if it did. */
  readonly error: RequestError | undefined;
  readonly connection: ConnectionState;
}

export interface UpdateOptions {
  /** Write without `expectedVersion`: replaces whatever another client wrote meanwhile. */
  overwrite?: boolean;
  /**
   * The version the change was based on, e.g. `expectedVersion(id)` taken when the person started editing;
   * default: `expectedVersion(id)` now.
   */
  expectedVersion?: number;
}

interface Tracked {
  readonly change: PendingChange;
  acked: boolean;
}

/**
 * A live project: the ordered workspace list kept current from the subscription (events in seq order,
 * a fresh snapshot after a resync), with this client's changes shown at once and rolled back when refused.
 * `subscribe` and `getSnapshot` fit React's `useSyncExternalStore` as they are.
 */
export class ProjectStore {
  readonly projectId: string;
  readonly #client: ProjectStoreClient;
  readonly #listeners = new Set<() => void>();
  readonly #changes: Tracked[] = [];
  #confirmed: readonly Workspace[] = [];
  #seq = 0;
  #status: ProjectSnapshot['status'] = 'loading';
  #error: RequestError | undefined;
  #failures: readonly ChangeFailure[] = [];
  #snapshot: ProjectSnapshot;
  readonly #stop: Array<() => void>;

  /** `onClose`: called once by `close()` (the client forgets the store, so `client.project(id)` makes a new one). */
  constructor(client: ProjectStoreClient, projectId: string, onClose?: () => void) {
    this.#client = client;
    this.projectId = projectId;
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
    return this.#send({ kind: 'create', requestId, workspace }, 'workspace.create', data).then((ack) => ack.workspace);
  }

  /**
   * Renames and/or replaces `data`. Conditional on the version this client has seen (counting its own updates
   * still on their way), so a change someone else made first is refused with `CONFLICT`, unless `overwrite`.
   */
  update(id: string, patch: RequestData<'workspace.update'>['patch'], options: UpdateOptions = {}): Promise<Workspace> {
    const requestId = globalThis.crypto.randomUUID();
    const data: RequestData<'workspace.update'> = { id, patch };
    const expectedVersion = options.expectedVersion ?? this.expectedVersion(id);
    if (options.overwrite !== true && expectedVersion !== undefined) data.expectedVersion = expectedVersion;
    return this.#send({ kind: 'update', requestId, workspaceId: id, patch }, 'workspace.update', data).then(
      (ack) => ack.workspace,
    );
  }

  /**
   * The version a workspace will have once this client's updates on their way are applied (each adds one):
   * what an update made now expects. Undefined for a workspace not on the server (yet).
   */
  expectedVersion(id: string): number | undefined {
    const confirmed = this.#confirmed.find((w) => w.id === id);
    if (confirmed === undefined) return undefined;
    const own = this.#changes.filter((t) => t.change.kind === 'update' && t.change.workspaceId === id).length;
    return confirmed.version + own;
  }

  /** Deletes a workspace. */
  delete(id: string): Promise<void> {
    const requestId = globalThis.crypto.randomUUID();
    return this.#send({ kind: 'delete', requestId, workspaceId: id }, 'workspace.delete', { id }).then(() => {});
  }

  /** Sets the order of the project's workspaces (ids of stand-ins are left out: they are not on the server yet). */
  reorder(order: readonly string[]): Promise<void> {
    const requestId = globalThis.crypto.randomUUID();
    const ids = order.filter((id) => !isPlaceholderId(id));
    const data = { projectId: this.projectId, order: ids };
    return this.#send({ kind: 'reorder', requestId, order: ids }, 'workspace.reorder', data).then(() => {});
  }

  /** Moves one workspace to `index` of the list as shown. */
  move(id: string, index: number): Promise<void> {
    const order = this.#snapshot.workspaces.map((w) => w.id).filter((other) => other !== id);
    order.splice(Math.max(0, Math.min(index, order.length)), 0, id);
    return this.reorder(order);
  }

  /** Forgets a refused change (the board already shows the server's state). */
  dismiss(failureId: string): void {
    const failures = this.#failures.filter((f) => f.id !== failureId);
    if (failures.length === this.#failures.length) return;
    this.#failures = failures;
    this.#changed();
  }

  /** Stops following the project; listeners get no more calls. */
  close(): void {
    for (const stop of this.#stop.splice(0)) stop();
    this.#listeners.clear();
  }

  #send<TType extends 'workspace.create' | 'workspace.update' | 'workspace.delete' | 'workspace.reorder'>(
    change: PendingChange,
    type: TType,
    data: RequestData<TType>,
  ): Promise<AckData<TType>> {
    const tracked: Tracked = { change, acked: false };
    this.#changes.push(tracked);
    this.#changed();
    return this.#client.request(type, data, { id: change.requestId }).then(
      (ack) => {
        tracked.acked = true;
        this.#changed(); // `queued` went down; the change stays shown until its event is applied
        return ack;
      },
      (error: unknown) => {
        this.#forget(change.requestId);
        this.#failures = [...this.#failures, failureOf(change, error as RequestError)];
        this.#changed();
        throw error;
      },
    );
  }

  #forget(requestId: string): boolean {
    const index = this.#changes.findIndex((t) => t.change.requestId === requestId);
    if (index === -1) return false;
    this.#changes.splice(index, 1);
    return true;
  }

  #onSnapshot(workspaces: Workspace[], seq: number): void {
    this.#confirmed = workspaces;
    this.#seq = seq;
    this.#status = 'ready';
    this.#error = undefined;
    // A snapshot taken after an ack holds that change; keeping it would apply it twice (a stale reorder).
    for (let i = this.#changes.length - 1; i >= 0; i -= 1) if (this.#changes[i]!.acked) this.#changes.splice(i, 1);
    this.#changed();
  }

  #onEvent(event: ServerEvent): void {
    this.#confirmed = applyEvent(this.#confirmed, event);
    this.#seq = event.seq;
    const origin = event.origin;
    if (origin !== undefined && 'requestId' in origin && origin.requestId !== undefined) this.#forget(origin.requestId);
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
    let workspaces = this.#confirmed;
    const pendingIds = new Set<string>();
    let queued = 0;
    for (const tracked of this.#changes) {
      const { change } = tracked;
      workspaces = applyChange(workspaces, change);
      if (change.kind === 'create') pendingIds.add(change.workspace.id);
      else if (change.kind !== 'reorder') pendingIds.add(change.workspaceId);
      if (!tracked.acked) queued += 1;
    }
    return {
      projectId: this.projectId,
      status: this.#status,
      workspaces,
      seq: this.#seq,
      pendingIds,
      queued,
      failures: this.#failures,
      error: this.#error,
      connection: this.#client.state,
    };
  }
}

function failureOf(change: PendingChange, error: RequestError): ChangeFailure {
  return {
    id: change.requestId,
    kind: change.kind,
    workspaceId: change.kind === 'update' || change.kind === 'delete' ? change.workspaceId : undefined,
    patch: change.kind === 'update' ? change.patch : undefined,
    error,
  };
}
