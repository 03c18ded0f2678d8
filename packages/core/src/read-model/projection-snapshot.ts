import type { ProjectState, WorkspaceEntry } from '../project-state/project-state.js';

/** What one write of the read model stores, taken from a state at one seq. */
export interface ProjectionSnapshot {
  projectId: string;
  seq: number;
  order: string[];
  lastSeqs: Record<string, number>;
  /** Dirty workspaces: the entry to store, or null to delete the document. */
  changes: Map<string, WorkspaceEntry | null>;
}

/** Takes what the next write of the read model stores, and clears the dirty marks. */
export function takeSnapshot(projectId: string, state: ProjectState): ProjectionSnapshot {
  const changes = new Map<string, WorkspaceEntry | null>();
  for (const id of state.dirty) changes.set(id, state.workspaces.get(id) ?? null);
  const lastSeqs: Record<string, number> = {};
  for (const id of state.order) {
    const entry = state.workspaces.get(id);
    if (entry !== undefined) lastSeqs[id] = entry.seq;
  }
  state.dirty = new Set();
  state.headDirty = false;
  return { projectId, seq: state.seq, order: state.order, lastSeqs, changes };
}

/** Puts the marks of a snapshot that could not be written back, so the next write includes them. */
export function restoreSnapshot(state: ProjectState, snapshot: ProjectionSnapshot): void {
  for (const id of snapshot.changes.keys()) state.dirty.add(id);
  state.headDirty = true;
}
