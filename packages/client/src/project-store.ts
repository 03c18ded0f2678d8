import type { AckData, ProtocolError, RequestData, RequestType, ServerEvent, Workspace } from '@app/protocol';
import {
  changeOutcome,
  changeRetryDelay,
  resolveChangeRetry,
  type ChangeRetryOptions,
  type ResolvedChangeRetry,
} from './change-retry.js';
import { callSafely } from './emitter.js';
import { ClientError, isRetryable, type RequestError } from './errors.js';
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

/** The types of the requests a project store sends. */
export type ChangeRequestType = 'workspace.create' | 'workspace.update' | 'workspace.delete' | 'workspace.reorder';

/** A request as the store sent it: sending it again with the same `id` applies it at most once. */
export interface ChangeRequest<TType extends ChangeRequestType = ChangeRequestType> {
  readonly type: TType;
  readonly id: string;
  readonly data: RequestData<TType>;
}

/**
 * A change that did not go through. `outcome` says what the board shows:
 * - `refused`: the server refused it (a code whose retry is "no": `CONFLICT`, `NOT_FOUND`, `INVALID_MESSAGE`, ...),
 *   or it waited for an update of the same workspace that failed; it is rolled back.
 * - `unconfirmed`: no answer that says either way after the store's retries (`UNAVAILABLE`, `TIMEOUT`, ...): it
 *   may have been applied, so it stays shown as pending. `retry()` sends it again with the same id (applied at most
 *   once); its event, if it was applied, confirms it; `dismiss` stops showing it.
 */
export interface ChangeFailure {
  /** The request id of the change; pass it to `dismiss`. */
  readonly id: string;
  readonly kind: PendingChange['kind'];
  readonly outcome: 'refused' | 'unconfirmed';
  /** The workspace the change was about (none for a reorder). */
  readonly workspaceId: string | undefined;
  /** For an update: what it would have set, so the app can offer to overwrite. */
  readonly patch: RequestData<'workspace.update'>['patch'] | undefined;
  readonly error: RequestError;
  /** The request as sent (to send it again yourself with the same `id`); undefined if it was never sent. */
  readonly request: ChangeRequest | undefined;
  /**
   * `unconfirmed` only: sends the same request again (same id); resolves once it is acknowledged, rejects
   * (with a new failure in the snapshot) if it fails again.
   */
  readonly retry: (() => Promise<void>) | undefined;
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

export interface UpdateOptions {
  /** Write without `expectedVersion`: replaces whatever another client wrote meanwhile. */
  overwrite?: boolean | undefined;
  /**
   * The version the change was based on, e.g. `expectedVersion(id)` taken when the person started editing;
   * default: `expectedVersion(id)` now.
   */
  expectedVersion?: number | undefined;
}

interface Waiter {
  resolve(ack: never): void;
  reject(error: unknown): void;
}

/** A change of this client, from the call until its event is applied (or it failed). */
interface Tracked {
  change: PendingChange;
  readonly type: MutationType;
  /** The request data; for a `waiting` update without `expectedVersion` yet. */
  data: RequestData<MutationType>;
  /**
   * `waiting`: an update held until the update of the same workspace before it is acknowledged (it is built
   * on that one); `sending`: on its way (or waiting to be sent again); `acked`: acknowledged, shown until its
   * event is applied; `unconfirmed`: no clear answer after the retries (see `ChangeFailure`).
   */
  state: 'waiting' | 'sending' | 'acked' | 'unconfirmed';
  /** Sends so far that failed with an outcome-unknown error (0-based index of the current send). */
  attempt: number;
  /** The timer of the next send after a failed one. */
  timer: unknown;
  /** An update sent without `expectedVersion`. */
  readonly overwrite: boolean;
  /** An update: the version it was sent on (its `expectedVersion`, or for an overwrite the version seen then). */
  base: number | undefined;
  /** How many snapshots had arrived when it was first sent. */
  sentAfter: number;
  /** The callers whose changes it carries (several when updates waiting behind another were merged). */
  readonly waiters: Waiter[];
}

type MutationType = ChangeRequestType;

/** Versions `from + 1` to `to` of a workspace were written by this client (so an edit based on `from` saw them). */
interface OwnRun {
  from: number;
  to: number;
}

/**
 * A live project: the ordered workspace list kept current from the subscription (events in seq order,
 * a fresh snapshot after a resync), with this client's changes shown at once and rolled back when refused.
 * `subscribe` and `getSnapshot` fit React's `useSyncExternalStore` as they are.
 *
 * Updates of one workspace go out one at a time: an update made while another of the same workspace is on its
 * way is built on that one, so it waits for its ack and is sent on the version the ack reports (updates waiting
 * together are merged into one request). If the one it waits for is refused, it fails with it: it never
 * overwrites a write this client has not seen.
 */
export class ProjectStore {
  readonly projectId: string;
  readonly #client: ProjectStoreClient;
  readonly #listeners = new Set<() => void>();
  readonly #changes: Tracked[] = [];
  /** Per workspace: the update whose ack the waiting updates of that workspace wait for. */
  readonly #heads = new Map<string, Tracked>();
  /** Per workspace: the last run of versions written by this client. */
  readonly #own = new Map<string, OwnRun>();
  #confirmed: readonly Workspace[] = [];
  #seq = 0;
  /** Snapshots received so far. */
  #snapshots = 0;
  #status: ProjectSnapshot['status'] = 'loading';
  #error: RequestError | undefined;
  #failures: readonly ChangeFailure[] = [];
  #snapshot: ProjectSnapshot;
  #closed = false;
  readonly #stop: Array<() => void>;
  readonly #retry: ResolvedChangeRetry;
  readonly #setTimeout: (run: () => void, ms: number) => unknown;
  readonly #clearTimeout: (handle: unknown) => void;
  readonly #random: () => number;

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
    this.#retry = resolveChangeRetry(options.retry);
    this.#setTimeout = options.setTimeout ?? ((run, ms) => setTimeout(run, ms));
    this.#clearTimeout = options.clearTimeout ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>));
    this.#random = options.random ?? Math.random;
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
    return this.#start({ kind: 'create', requestId, workspace }, 'workspace.create', data).then((ack) => ack.workspace);
  }

  /**
   * Renames and/or replaces `data`. Conditional on the version this client has seen, so a change someone else
   * made first is refused with `CONFLICT`, unless `overwrite`. Made while an update of the same workspace is on
   * its way, it is sent once that one is acknowledged, on the version its ack reports (or fails with it).
   */
  update(id: string, patch: RequestData<'workspace.update'>['patch'], options: UpdateOptions = {}): Promise<Workspace> {
    const overwrite = options.overwrite === true;
    const seen = overwrite ? undefined : this.#withOwn(id, options.expectedVersion ?? this.expectedVersion(id));
    const head = this.#heads.get(id);
    if (
      head !== undefined &&
      (overwrite ||
        (seen !== undefined && head.base !== undefined && (seen === head.base || (head.overwrite && seen > head.base))))
    ) {
      return this.#wait(id, patch, overwrite).then((ack) => ack.workspace);
    }
    const requestId = globalThis.crypto.randomUUID();
    const data: RequestData<'workspace.update'> = { id, patch };
    if (seen !== undefined) data.expectedVersion = seen;
    const change: PendingChange = { kind: 'update', requestId, workspaceId: id, patch };
    return this.#start(change, 'workspace.update', data, { overwrite, base: seen ?? this.expectedVersion(id) }).then(
      (ack) => ack.workspace,
    );
  }

  /**
   * The newest version of a workspace this client has seen: the server's (from its events), or the version its
   * own acknowledged update produced. An update made with it while another update of this client to the
   * workspace is on its way is built on that one (see `update`). Undefined for a workspace not on the server (yet).
   */
  expectedVersion(id: string): number | undefined {
    const confirmed = this.#confirmed.find((w) => w.id === id);
    if (confirmed === undefined) return undefined;
    const own = this.#own.get(id);
    return own === undefined ? confirmed.version : Math.max(confirmed.version, own.to);
  }

  /** Deletes a workspace. */
  delete(id: string): Promise<void> {
    const requestId = globalThis.crypto.randomUUID();
    return this.#start({ kind: 'delete', requestId, workspaceId: id }, 'workspace.delete', { id }).then(() => {});
  }

  /** Sets the order of the project's workspaces (ids of stand-ins are left out: they are not on the server yet). */
  reorder(order: readonly string[]): Promise<void> {
    const requestId = globalThis.crypto.randomUUID();
    const ids = order.filter((id) => !isPlaceholderId(id));
    const data = { projectId: this.projectId, order: ids };
    return this.#start({ kind: 'reorder', requestId, order: ids }, 'workspace.reorder', data).then(() => {});
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
    const failure = this.#failures.find((f) => f.id === failureId);
    if (failure === undefined) return;
    this.#failures = this.#failures.filter((f) => f !== failure);
    const tracked = this.#changes.find((t) => t.change.requestId === failureId && t.state === 'unconfirmed');
    if (tracked !== undefined) {
      this.#remove(tracked);
      if (tracked.change.kind === 'update' && this.#heads.get(tracked.change.workspaceId) === tracked) {
        this.#failWaiting(tracked.change.workspaceId, failure.error);
      }
    }
    this.#changed();
  }

  /**
   * Stops following the project; listeners get no more calls. Changes waiting to be sent (behind another
   * update, or for a retry) are not sent: their promises reject with `CLOSED`.
   */
  close(): void {
    this.#closed = true;
    for (const stop of this.#stop.splice(0)) stop();
    this.#listeners.clear();
    const closed = new ClientError('CLOSED', 'The project store was closed');
    for (const tracked of this.#changes) {
      if (tracked.state !== 'waiting' && tracked.timer === undefined) continue;
      if (tracked.timer !== undefined) this.#clearTimeout(tracked.timer);
      tracked.timer = undefined;
      for (const waiter of tracked.waiters.splice(0)) waiter.reject(closed);
    }
  }

  /** A version seen by this client, moved past the versions its own writes made on top of it. */
  #withOwn(id: string, version: number | undefined): number | undefined {
    const own = this.#own.get(id);
    if (version === undefined || own === undefined) return version;
    return own.from <= version && version < own.to ? own.to : version;
  }

  /** Tracks a change and sends it now. */
  #start<TType extends MutationType>(
    change: PendingChange,
    type: TType,
    data: RequestData<TType>,
    update: { overwrite: boolean; base: number | undefined } = { overwrite: false, base: undefined },
  ): Promise<AckData<TType>> {
    return new Promise((resolve, reject) => {
      const tracked: Tracked = {
        change,
        type,
        data,
        state: 'sending',
        overwrite: update.overwrite,
        base: update.base,
        sentAfter: this.#snapshots,
        attempt: 0,
        timer: undefined,
        waiters: [{ resolve: resolve as (ack: never) => void, reject }],
      };
      this.#changes.push(tracked);
      if (change.kind === 'update' && !this.#heads.has(change.workspaceId))
        this.#heads.set(change.workspaceId, tracked);
      this.#send(tracked);
      this.#changed();
    });
  }

  /** An update built on the one on its way: merged into the last one waiting, or waiting on its own. */
  #wait(
    id: string,
    patch: RequestData<'workspace.update'>['patch'],
    overwrite: boolean,
  ): Promise<AckData<'workspace.update'>> {
    return new Promise((resolve, reject) => {
      const waiter = { resolve: resolve as (ack: never) => void, reject };
      const last = this.#lastUpdate(id);
      if (
        last !== undefined &&
        last.state === 'waiting' &&
        !last.overwrite &&
        !overwrite &&
        last.change.kind === 'update'
      ) {
        const merged = { ...last.change.patch, ...patch };
        last.change = { ...last.change, patch: merged };
        last.data = { id, patch: merged };
        last.waiters.push(waiter);
      } else {
        const change: PendingChange = {
          kind: 'update',
          requestId: globalThis.crypto.randomUUID(),
          workspaceId: id,
          patch,
        };
        const data = { id, patch };
        this.#changes.push({
          change,
          type: 'workspace.update',
          data,
          state: 'waiting',
          overwrite,
          base: undefined,
          sentAfter: 0,
          attempt: 0,
          timer: undefined,
          waiters: [waiter],
        });
      }
      this.#changed();
    });
  }

  #lastUpdate(id: string): Tracked | undefined {
    for (let i = this.#changes.length - 1; i >= 0; i -= 1) {
      const tracked = this.#changes[i]!;
      if (tracked.change.kind === 'update' && tracked.change.workspaceId === id) return tracked;
    }
    return undefined;
  }

  #send(tracked: Tracked): void {
    if (tracked.state === 'waiting') tracked.sentAfter = this.#snapshots;
    tracked.state = 'sending';
    this.#client.request(tracked.type, tracked.data, { id: tracked.change.requestId }).then(
      (ack) => this.#acked(tracked, ack),
      (error: unknown) => this.#failed(tracked, error as RequestError),
    );
  }

  #acked(tracked: Tracked, ack: AckData<MutationType>): void {
    if (tracked.state !== 'sending' && tracked.state !== 'unconfirmed') return; // already settled by its event
    if (tracked.timer !== undefined) this.#clearTimeout(tracked.timer);
    tracked.timer = undefined;
    tracked.state = 'acked';
    // A snapshot that arrived meanwhile may hold it already (then no event follows); if not, its event follows.
    if (this.#snapshots > tracked.sentAfter) this.#remove(tracked);
    for (const waiter of tracked.waiters.splice(0)) waiter.resolve(ack as never);
    if (tracked.change.kind === 'update')
      this.#updateAcked(tracked, (ack as AckData<'workspace.update'>).workspace.version);
    this.#changed(); // `queued` went down; the change stays shown until its event is applied
  }

  /** An update is on the server at `version`: the run of own versions grows, and the next update waiting goes out. */
  #updateAcked(tracked: Tracked, version: number): void {
    if (tracked.change.kind !== 'update') return;
    const id = tracked.change.workspaceId;
    const expected = (tracked.data as RequestData<'workspace.update'>).expectedVersion;
    const own = this.#own.get(id);
    if (expected !== undefined && own !== undefined && own.to === expected) own.to = version;
    else this.#own.set(id, { from: expected ?? version - 1, to: version });
    if (this.#heads.get(id) !== tracked) return;
    this.#heads.delete(id);
    const next = this.#changes.find(
      (t) => t.state === 'waiting' && t.change.kind === 'update' && t.change.workspaceId === id,
    );
    if (next === undefined) return;
    this.#sendWaiting(next, version);
  }

  #sendWaiting(next: Tracked, base: number | undefined): void {
    if (next.change.kind !== 'update') return;
    const data: RequestData<'workspace.update'> = { id: next.change.workspaceId, patch: next.change.patch };
    if (!next.overwrite && base !== undefined) data.expectedVersion = base;
    next.data = data;
    next.base = base;
    this.#heads.set(next.change.workspaceId, next);
    this.#send(next);
  }

  /** A send failed: retried with the same id while the outcome is unknown, then refused or unconfirmed. */
  #failed(tracked: Tracked, error: RequestError): void {
    if (tracked.state !== 'sending') return; // settled by its event meanwhile
    const delay = this.#closed ? undefined : changeRetryDelay(error, tracked.attempt, this.#retry, this.#random());
    if (delay !== undefined) {
      tracked.attempt += 1;
      tracked.timer = this.#setTimeout(() => {
        tracked.timer = undefined;
        if (tracked.state === 'sending') this.#send(tracked);
      }, delay);
      return;
    }
    if (changeOutcome(error) === 'refused') this.#refused(tracked, error);
    else this.#unconfirmed(tracked, error);
  }

  /** No clear answer after the retries: still shown (it may have been applied), reported with `retry`. */
  #unconfirmed(tracked: Tracked, error: RequestError): void {
    tracked.state = 'unconfirmed';
    const retry = (): Promise<void> =>
      new Promise((resolve, reject) => {
        if (this.#closed) return reject(new ClientError('CLOSED', 'The project store was closed'));
        if (tracked.state !== 'unconfirmed') return resolve(); // its event confirmed it meanwhile
        this.#failures = this.#failures.filter((f) => f.id !== tracked.change.requestId);
        tracked.waiters.push({ resolve: () => resolve(), reject });
        tracked.attempt = 0;
        this.#send(tracked);
        this.#changed();
      });
    this.#failures = [...this.#failures, failureOf(tracked, error, 'unconfirmed', retry)];
    for (const waiter of tracked.waiters.splice(0)) waiter.reject(error);
    this.#changed();
  }

  #refused(tracked: Tracked, error: RequestError): void {
    this.#fail(tracked, error);
    if (tracked.change.kind === 'update' && this.#heads.get(tracked.change.workspaceId) === tracked) {
      this.#failWaiting(tracked.change.workspaceId, error);
    }
    this.#changed();
  }

  /** The update the waiting ones were built on failed: they fail with it, up to an overwrite (sent instead). */
  #failWaiting(id: string, error: RequestError): void {
    this.#heads.delete(id);
    for (const next of this.#changes.filter(
      (t) => t.state === 'waiting' && t.change.kind === 'update' && t.change.workspaceId === id,
    )) {
      if (next.overwrite) return this.#sendWaiting(next, this.expectedVersion(id));
      this.#fail(next, error);
    }
  }

  /** Rolls a change back and reports it. */
  #fail(tracked: Tracked, error: RequestError): void {
    this.#remove(tracked);
    this.#failures = [...this.#failures, failureOf(tracked, error, 'refused', undefined)];
    for (const waiter of tracked.waiters.splice(0)) waiter.reject(error);
  }

  #remove(tracked: Tracked): void {
    const index = this.#changes.indexOf(tracked);
    if (index !== -1) this.#changes.splice(index, 1);
  }

  #onSnapshot(workspaces: Workspace[], seq: number): void {
    this.#confirmed = workspaces;
    this.#seq = seq;
    this.#snapshots += 1;
    this.#status = 'ready';
    this.#error = undefined;
    // A snapshot taken after an ack holds that change; keeping it would apply it twice (a stale reorder).
    for (let i = this.#changes.length - 1; i >= 0; i -= 1)
      if (this.#changes[i]!.state === 'acked') this.#changes.splice(i, 1);
    this.#changed();
  }

  #onEvent(event: ServerEvent): void {
    this.#confirmed = applyEvent(this.#confirmed, event);
    this.#seq = event.seq;
    if (event.type === 'workspace.deleted') this.#own.delete(event.data.id);
    const origin = event.origin;
    const requestId = origin !== undefined && 'requestId' in origin ? origin.requestId : undefined;
    const tracked = requestId === undefined ? undefined : this.#changes.find((t) => t.change.requestId === requestId);
    if (tracked !== undefined) {
      this.#remove(tracked);
      // Applied, though not acknowledged (yet): resent after a reconnect, answered UNAVAILABLE or timed out. The
      // event carries what the ack would.
      if (tracked.state === 'unconfirmed') this.#failures = this.#failures.filter((f) => f.id !== requestId);
      if (tracked.state === 'sending' || tracked.state === 'unconfirmed') {
        this.#acked(tracked, event.data as AckData<MutationType>);
      }
    }
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
      if (tracked.state !== 'acked') queued += Math.max(1, tracked.waiters.length);
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

function failureOf(
  tracked: Tracked,
  error: RequestError,
  outcome: ChangeFailure['outcome'],
  retry: ChangeFailure['retry'],
): ChangeFailure {
  const { change } = tracked;
  const sent = tracked.state !== 'waiting';
  return {
    id: change.requestId,
    kind: change.kind,
    outcome,
    workspaceId: change.kind === 'update' || change.kind === 'delete' ? change.workspaceId : undefined,
    patch: change.kind === 'update' ? change.patch : undefined,
    error,
    request: sent ? ({ type: tracked.type, id: change.requestId, data: tracked.data } as ChangeRequest) : undefined,
    retry,
  };
}
