import { randomUUID } from 'node:crypto';
import type { Workspace } from '@app/protocol';
import type { EventDoc } from '../db/models.js';
import { foldEvent, type FoldTarget } from '../project-state/fold.js';
import { projectBytes, workspaceBytes } from '../project-state/project-bytes.js';
import type { ProjectState, WorkspaceEntry } from '../project-state/project-state.js';
import type { PlanView } from './plans.js';

/**
 * What a batch plans against: the project state plus the events planned so far in this batch, folded
 * with the same `foldEvent` as the state itself, into an overlay kept apart so a batch that fails
 * leaves the state untouched.
 */
export class BatchView implements PlanView, FoldTarget {
  seq: number;
  order: string[];
  readonly now = new Date().toISOString();
  /** Workspaces the batch wrote (null: deleted), over the state's. */
  private readonly changed = new Map<string, WorkspaceEntry | null>();
  readonly workspaces = {
    get: (id: string) => (this.changed.has(id) ? this.changed.get(id) : this.state.workspaces.get(id)),
    set: (id: string, entry: WorkspaceEntry) => this.changed.set(id, entry),
    delete: (id: string) => this.changed.set(id, null),
  };

  constructor(private readonly state: ProjectState) {
    this.seq = state.seq;
    this.order = state.order;
  }

  workspace(id: string): Workspace | undefined {
    const changed = this.changed.get(id);
    const entry = changed === undefined ? this.state.workspaces.get(id) : changed;
    return entry === undefined || entry === null ? undefined : { ...entry.workspace, position: this.order.indexOf(id) };
  }

  /** The project's size with the batch's writes (project-bytes.ts). */
  get bytes(): number {
    if (this.changed.size === 0) return projectBytes(this.state);
    let bytes = 0;
    for (const id of this.order) {
      const entry = this.workspaces.get(id);
      if (entry !== undefined && entry !== null) bytes += workspaceBytes(entry);
    }
    return bytes;
  }

  newWorkspaceId(): string {
    return randomUUID();
  }

  /** Moves the view past an event planned in this batch. */
  advance(event: EventDoc): void {
    foldEvent(this, event);
  }
}
