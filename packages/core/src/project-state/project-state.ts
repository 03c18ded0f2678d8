import type { Workspace } from '@app/protocol';

/** A live workspace and the seq of the event that last wrote it. */
export interface WorkspaceEntry {
  /** `position` here is not kept current: it is the index in the project's `order`. */
  workspace: Workspace;
  seq: number;
  /** Its size as workspaceBytes counts it, once computed (project-bytes.ts). */
  bytes?: number | undefined;
}

/** A project as this node knows it: the fold of its event log up to `seq` (see `foldEvent`). */
export interface ProjectState {
  epoch: string | undefined;
  seq: number;
  order: string[];
  workspaces: Map<string, WorkspaceEntry>;
  /** Workspaces changed (or found stale in the database) since the read model was last written. */
  dirty: Set<string>;
  /** The project head in the database is behind `seq`. */
  headDirty: boolean;
}

/** The live workspaces of a state in order, each with its position. */
export function orderedWorkspaces(state: ProjectState): Workspace[] {
  const out: Workspace[] = [];
  for (const id of state.order) {
    const entry = state.workspaces.get(id);
    if (entry !== undefined) out.push({ ...entry.workspace, position: out.length });
  }
  return out;
}
