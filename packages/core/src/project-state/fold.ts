import type { Workspace } from '@app/protocol';
import type { EventDoc } from '../db/models.js';
import type { WorkspaceEntry } from './project-state.js';

/** The fields of an event the fold reads. */
export type FoldedEvent = Pick<EventDoc, 'seq' | 'type' | 'data'>;

/**
 * What the fold moves forward: a project's seq, order and workspaces. A `ProjectState` is one; a
 * batch's view is another, whose workspace writes go to an overlay so a failed batch leaves the
 * state untouched.
 */
export interface FoldTarget {
  seq: number;
  order: string[];
  readonly workspaces: {
    get(id: string): WorkspaceEntry | null | undefined;
    set(id: string, entry: WorkspaceEntry): unknown;
    delete(id: string): unknown;
  };
}

/**
 * Moves a project past one event: the one fold of the event log, used by the write path's batch view
 * and by the projector alike. Returns the id of the workspace the event wrote or deleted, if any.
 */
export function foldEvent(target: FoldTarget, event: FoldedEvent): string | undefined {
  let touched: string | undefined;
  const workspace = workspaceOf(event);
  if (workspace !== undefined) {
    target.workspaces.set(workspace.id, { workspace, seq: event.seq });
    touched = workspace.id;
  } else if (event.type === 'workspace.deleted') {
    touched = (event.data as { id: string }).id;
    target.workspaces.delete(touched);
  } else if (event.type === 'video.status_update') {
    // The workspace's `video` is its job's latest status; the workspace's version stays (a status is not an edit).
    const { workspaceId, ...video } = event.data as { workspaceId: string } & NonNullable<Workspace['video']>;
    const entry = target.workspaces.get(workspaceId);
    if (entry !== undefined && entry !== null) {
      target.workspaces.set(workspaceId, { workspace: { ...entry.workspace, video }, seq: event.seq });
      touched = workspaceId;
    }
  }
  target.order = nextOrder(target.order, event);
  target.seq = event.seq;
  return touched;
}

/** The project's order after an event (a new array when it changes; the old one is never modified). */
export function nextOrder(order: string[], event: Pick<EventDoc, 'type' | 'data'>): string[] {
  switch (event.type) {
    case 'workspace.created': {
      const { workspace } = event.data as { workspace: Workspace };
      if (order.includes(workspace.id)) return order;
      const next = [...order];
      next.splice(Math.min(workspace.position, next.length), 0, workspace.id);
      return next;
    }
    case 'workspace.deleted': {
      const { id } = event.data as { id: string };
      return order.filter((other) => other !== id);
    }
    case 'workspace.reordered':
      return [...(event.data as { order: string[] }).order];
    default:
      return order;
  }
}

/** The workspace an event carries whole (`workspace.created`, `workspace.updated`), or undefined. */
export function workspaceOf(event: Pick<EventDoc, 'type' | 'data'>): Workspace | undefined {
  if (event.type === 'workspace.created' || event.type === 'workspace.updated')
    return (event.data as { workspace: Workspace }).workspace;
  return undefined;
}
