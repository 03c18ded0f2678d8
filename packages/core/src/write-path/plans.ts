import { ProtocolError, type EventData, type EventType, type ParsedRequestData, type Workspace } from '@app/protocol';
import { workspaceNotFound } from '../refusals.js';

/**
 * The mutation rules: each plan is a pure function of a request's input and the project as its batch
 * sees it, and answers with the event to store or a typed refusal. No database, no I/O, no clock:
 * the view supplies the time and new ids. To add a mutation, add its plan here (and its event's fold
 * to `project-state/fold.ts` when it changes the project).
 */

/** The project as a plan sees it: the state plus the events planned before it in the same batch. */
export interface PlanView {
  /** The project's seq; 0 while it has no events. */
  readonly seq: number;
  /** Live workspace ids in order. */
  readonly order: readonly string[];
  /** The time of the batch (ISO 8601): every event of a batch carries the same. */
  readonly now: string;
  /** A live workspace with its current position, or undefined. */
  workspace(id: string): Workspace | undefined;
  /** An id for a new workspace. */
  newWorkspaceId(): string;
}

/** An event a plan asks to store: its type and data (the seq, key and origin are the commit's). */
export interface PlannedEvent<TType extends EventType = EventType> {
  type: TType;
  data: EventData<TType>;
}

/** A plan's answer: the event to store, or the refusal the request gets (nothing is stored). */
export type PlanOutcome<TType extends EventType = EventType> =
  { event: PlannedEvent<TType> } | { refusal: ProtocolError };

export function planCreate(
  input: ParsedRequestData<'workspace.create'>,
  view: PlanView,
): PlanOutcome<'workspace.created'> {
  const position = Math.min(input.position ?? view.order.length, view.order.length);
  const workspace: Workspace = {
    id: view.newWorkspaceId(),
    projectId: input.projectId,
    name: input.name,
    position,
    version: 1,
    data: input.data ?? {},
    createdAt: view.now,
    updatedAt: view.now,
  };
  return { event: { type: 'workspace.created', data: { workspace } } };
}

export function planUpdate(
  input: ParsedRequestData<'workspace.update'>,
  view: PlanView,
): PlanOutcome<'workspace.updated'> {
  const current = currentWorkspace(view, input.id, input.expectedVersion);
  if (current instanceof ProtocolError) return { refusal: current };
  const workspace: Workspace = {
    ...current,
    name: input.patch.name ?? current.name,
    data: input.patch.data ?? current.data,
    version: current.version + 1,
    updatedAt: view.now,
  };
  return { event: { type: 'workspace.updated', data: { workspace } } };
}

export function planDelete(
  input: ParsedRequestData<'workspace.delete'>,
  view: PlanView,
): PlanOutcome<'workspace.deleted'> {
  const current = currentWorkspace(view, input.id, input.expectedVersion);
  if (current instanceof ProtocolError) return { refusal: current };
  return { event: { type: 'workspace.deleted', data: { id: input.id } } };
}

export function planReorder(
  input: ParsedRequestData<'workspace.reorder'>,
  view: PlanView,
): PlanOutcome<'workspace.reordered'> {
  if (view.seq === 0) return { refusal: new ProtocolError('NOT_FOUND', `Project ${input.projectId} does not exist`) };
  if (!isPermutation(input.order, view.order)) {
    return {
      refusal: new ProtocolError('CONFLICT', "order is not a permutation of the project's workspaces", {
        details: { order: view.order },
      }),
    };
  }
  return { event: { type: 'workspace.reordered', data: { order: input.order } } };
}

/** The live workspace `id`, or NOT_FOUND, or CONFLICT when the caller expects another version. */
function currentWorkspace(view: PlanView, id: string, expectedVersion: number | undefined): Workspace | ProtocolError {
  const workspace = view.workspace(id);
  if (workspace === undefined) return workspaceNotFound(id);
  if (expectedVersion !== undefined && expectedVersion !== workspace.version) {
    return new ProtocolError('CONFLICT', `Workspace is at version ${workspace.version}, not ${expectedVersion}`, {
      details: { workspace },
    });
  }
  return workspace;
}

function isPermutation(candidate: readonly string[], current: readonly string[]): boolean {
  if (candidate.length !== current.length) return false;
  const wanted = new Set(current);
  const seen = new Set<string>();
  for (const id of candidate) {
    if (!wanted.has(id) || seen.has(id)) return false;
    seen.add(id);
  }
  return true;
}
