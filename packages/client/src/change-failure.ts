import type { RequestData } from '@app/protocol';
import type { RequestError } from './errors.js';
import type { PendingChange } from './project-changes.js';

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

interface Waiter {
  resolve(ack: never): void;
  reject(error: unknown): void;
}

/** A change of this client, from the call until its event is applied (or it failed). */
export interface Tracked {
  change: PendingChange;
  readonly type: ChangeRequestType;
  /** The request data; for a `waiting` update without `expectedVersion` yet. */
  data: RequestData<ChangeRequestType>;
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

/** The failure of a tracked change, as the app is shown it. */
export function failureOf(
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
