import { ProtocolError, type EventData, type EventType, type ParsedRequestData, type Workspace } from '@app/protocol';
import { workspaceBytes } from '../project-state/project-bytes.js';
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
  /** The size of the project's live workspaces (project-state/project-bytes.ts). */
  readonly bytes: number;
}

/** Caps of one project (PROJECT_MAX_WORKSPACES, PROJECT_MAX_BYTES); past them a write is refused with PROJECT_LIMIT. */
export interface ProjectLimits {
  maxWorkspaces: number;
  /** Bytes of live workspaces as workspaceBytes counts them. */
  maxBytes: number;
}

export const NO_PROJECT_LIMITS: ProjectLimits = {
  maxWorkspaces: Number.POSITIVE_INFINITY,
  maxBytes: Number.POSITIVE_INFINITY,
};

/** PROJECT_LIMIT: what the project holds and what it may hold, for the client to show. */
function projectLimit(
  message: string,
  limits: ProjectLimits,
  view: PlanView,
  limit: 'workspaces' | 'bytes',
): ProtocolError {
  return new ProtocolError('PROJECT_LIMIT', message, {
    details: {
      limit,
      workspaces: view.order.length,
      maxWorkspaces: limits.maxWorkspaces,
      bytes: view.bytes,
      maxBytes: limits.maxBytes,
    },
  });
}

/** The size a workspace with this data and name counts for (as workspaceBytes). */
function bytesOf(workspace: Workspace): number {
  return workspaceBytes({ workspace, seq: 0 });
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
  limits: ProjectLimits = NO_PROJECT_LIMITS,
): PlanOutcome<'workspace.created'> {
  if (view.order.length >= limits.maxWorkspaces) {
    return {
      refusal: projectLimit(`Project holds ${limits.maxWorkspaces} workspaces, its limit`, limits, view, 'workspaces'),
    };
  }
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
  if (limits.maxBytes !== Number.POSITIVE_INFINITY && view.bytes + bytesOf(workspace) > limits.maxBytes) {
    return { refusal: projectLimit(`Project would exceed ${limits.maxBytes} bytes`, limits, view, 'bytes') };
  }
  return { event: { type: 'workspace.created', data: { workspace } } };
}

export function planUpdate(
  input: ParsedRequestData<'workspace.update'>,
  view: PlanView,
  limits: ProjectLimits = NO_PROJECT_LIMITS,
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
  // Only growth is refused: a project over its cap (the cap was lowered) can still shrink.
  const growth = bytesOf(workspace) - bytesOf(current);
  if (limits.maxBytes !== Number.POSITIVE_INFINITY && growth > 0 && view.bytes + growth > limits.maxBytes) {
    return { refusal: projectLimit(`Project would exceed ${limits.maxBytes} bytes`, limits, view, 'bytes') };
  }
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

/** Video statuses after which a job changes no more. */
const FINAL_VIDEO_STATUSES: readonly string[] = ['succeeded', 'failed', 'cancelled'];

/**
 * A status of a video job (docs/protocol.md#video-jobs). `queued` starts a job: accepted when the
 * workspace has no job or its job has ended. Every later status must be of the workspace's current job
 * and that job must not have ended: a late update of an older job, or of one the workspace never had,
 * is refused (NOT_FOUND), and so is one after the final status (CONFLICT), so the workspace's `video`
 * always shows its newest job's latest status.
 */
export function planVideoStatus(
  input: EventData<'video.status_update'>,
  view: PlanView,
): PlanOutcome<'video.status_update'> {
  const workspace = view.workspace(input.workspaceId);
  if (workspace === undefined) return { refusal: workspaceNotFound(input.workspaceId) };
  const current = workspace.video;
  const currentEnded = current === undefined || FINAL_VIDEO_STATUSES.includes(current.status);
  if (current?.jobId === input.jobId) {
    if (currentEnded) {
      return {
        refusal: new ProtocolError('CONFLICT', `Video job ${input.jobId} has ended (${current.status})`, {
          details: { video: current },
        }),
      };
    }
  } else if (input.status !== 'queued') {
    return { refusal: new ProtocolError('NOT_FOUND', `Video job ${input.jobId} is not this workspace's current job`) };
  } else if (!currentEnded) {
    return {
      refusal: new ProtocolError('CONFLICT', 'This workspace already has a video job in progress; cancel it first', {
        details: { video: current },
      }),
    };
  }
  return { event: { type: 'video.status_update', data: input } };
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
