import type { AckData, RequestData, ServerEvent, Workspace } from '@app/protocol';
import {
  changeOutcome,
  changeRetryDelay,
  resolveChangeRetry,
  type ChangeRetryOptions,
  type ResolvedChangeRetry,
} from './change-retry.js';
import { ClientError, type RequestError } from './errors.js';
import type { RequestOptions } from './options.js';
import { applyChange, type PendingChange } from './project-changes.js';
import { failureOf, type ChangeFailure, type ChangeRequestType, type Tracked } from './change-failure.js';

export type { ChangeFailure, ChangeRequest, ChangeRequestType } from './change-failure.js';

export interface UpdateOptions {
  /** Write without `expectedVersion`: replaces whatever another client wrote meanwhile. */
  overwrite?: boolean | undefined;
  /**
   * The version the change was based on, e.g. `expectedVersion(id)` taken when the person started editing;
   * default: `expectedVersion(id)` now.
   */
  expectedVersion?: number | undefined;
}

/** What the queue needs of its store. */
export interface ChangeQueueDeps {
  request<TType extends ChangeRequestType>(
    type: TType,
    data: RequestData<TType>,
    options: RequestOptions,
  ): Promise<AckData<TType>>;
  /** The version of a workspace in the server's state as the store has it (undefined: not there). */
  confirmedVersion(id: string): number | undefined;
  /** Something the snapshot shows changed. */
  changed(): void;
  retry?: ChangeRetryOptions | undefined;
  setTimeout?: ((run: () => void, ms: number) => unknown) | undefined;
  clearTimeout?: ((handle: unknown) => void) | undefined;
  random?: (() => number) | undefined;
}

type MutationType = ChangeRequestType;

/** Versions `from + 1` to `to` of a workspace were written by this client (so an edit based on `from` saw them). */
interface OwnRun {
  from: number;
  to: number;
}

/**
 * This client's changes of one project, from the call until the server's event confirms them: sending with
 * retries of outcome-unknown failures (same request id), the order of updates of one workspace (one on its way,
 * the next ones waiting for its ack and merged), and the failures the app is shown.
 */
export class ChangeQueue {
  readonly #deps: ChangeQueueDeps;
  readonly #changes: Tracked[] = [];
  /** Per workspace: the update whose ack the waiting updates of that workspace wait for. */
  readonly #heads = new Map<string, Tracked>();
  /** Per workspace: the last run of versions written by this client. */
  readonly #own = new Map<string, OwnRun>();
  /** Snapshots received so far. */
  #snapshots = 0;
  #failures: readonly ChangeFailure[] = [];
  #closed = false;
  readonly #retry: ResolvedChangeRetry;
  readonly #setTimeout: (run: () => void, ms: number) => unknown;
  readonly #clearTimeout: (handle: unknown) => void;
  readonly #random: () => number;

  constructor(deps: ChangeQueueDeps) {
    this.#deps = deps;
    this.#retry = resolveChangeRetry(deps.retry);
    this.#setTimeout = deps.setTimeout ?? ((run, ms) => setTimeout(run, ms));
    this.#clearTimeout = deps.clearTimeout ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>));
    this.#random = deps.random ?? Math.random;
  }

  /** Failures until dismissed, oldest first. */
  get failures(): readonly ChangeFailure[] {
    return this.#failures;
  }

  /** Tracks a change and sends it now (creates, deletes, reorders). */
  add<TType extends MutationType>(
    change: PendingChange,
    type: TType,
    data: RequestData<TType>,
  ): Promise<AckData<TType>> {
    return this.#start(change, type, data);
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
    const confirmed = this.#deps.confirmedVersion(id);
    if (confirmed === undefined) return undefined;
    const own = this.#own.get(id);
    return own === undefined ? confirmed : Math.max(confirmed, own.to);
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
   * Sends nothing more: changes waiting to be sent (behind another update, or for a retry) reject with `CLOSED`.
   */
  close(): void {
    this.#closed = true;
    const closed = new ClientError('CLOSED', 'The project store was closed');
    for (const tracked of this.#changes) {
      if (tracked.state !== 'waiting' && tracked.timer === undefined) continue;
      if (tracked.timer !== undefined) this.#clearTimeout(tracked.timer);
      tracked.timer = undefined;
      for (const waiter of tracked.waiters.splice(0)) waiter.reject(closed);
    }
  }

  /** A snapshot replaced the server's state. */
  onSnapshot(): void {
    this.#snapshots += 1;
    // A snapshot taken after an ack holds that change; keeping it would apply it twice (a stale reorder).
    for (let i = this.#changes.length - 1; i >= 0; i -= 1) {
      if (this.#changes[i]!.state === 'acked') this.#changes.splice(i, 1);
    }
  }

  /** An event was applied to the server's state: it confirms the change that caused it, if it is ours. */
  onEvent(event: ServerEvent): void {
    if (event.type === 'workspace.deleted') this.#own.delete(event.data.id);
    const origin = event.origin;
    const requestId = origin !== undefined && 'requestId' in origin ? origin.requestId : undefined;
    const tracked = requestId === undefined ? undefined : this.#changes.find((t) => t.change.requestId === requestId);
    if (tracked === undefined) return;
    this.#remove(tracked);
    // Applied, though not acknowledged (yet): resent after a reconnect, answered UNAVAILABLE or timed out. The
    // event carries what the ack would.
    if (tracked.state === 'unconfirmed') this.#failures = this.#failures.filter((f) => f.id !== requestId);
    if (tracked.state === 'sending' || tracked.state === 'unconfirmed') {
      this.#acked(tracked, event.data as AckData<MutationType>);
    }
  }

  /** The server's state with this client's changes on top, the workspaces they touch, and how many are unacked. */
  apply(confirmed: readonly Workspace[]): {
    workspaces: readonly Workspace[];
    pendingIds: Set<string>;
    queued: number;
  } {
    let workspaces = confirmed;
    const pendingIds = new Set<string>();
    let queued = 0;
    for (const tracked of this.#changes) {
      const { change } = tracked;
      workspaces = applyChange(workspaces, change);
      if (change.kind === 'create') pendingIds.add(change.workspace.id);
      else if (change.kind !== 'reorder') pendingIds.add(change.workspaceId);
      if (tracked.state !== 'acked') queued += Math.max(1, tracked.waiters.length);
    }
    return { workspaces, pendingIds, queued };
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
    this.#deps.request(tracked.type, tracked.data, { id: tracked.change.requestId }).then(
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

  #changed(): void {
    this.#deps.changed();
  }
}
