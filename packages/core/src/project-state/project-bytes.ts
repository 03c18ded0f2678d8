import type { ProjectState, WorkspaceEntry } from './project-state.js';

/** What a workspace costs besides its data and name: ids, version, dates, position, as stored. */
const WORKSPACE_OVERHEAD_BYTES = 200;

/**
 * The size a workspace counts for against PROJECT_MAX_BYTES and STATE_CACHE_MAX_BYTES: its `data` as JSON
 * text plus its name and a fixed overhead, in UTF-16 code units (as MAX_DATA_BYTES counts). Computed once
 * per entry: a write replaces the entry.
 */
export function workspaceBytes(entry: WorkspaceEntry): number {
  entry.bytes ??= JSON.stringify(entry.workspace.data).length + entry.workspace.name.length + WORKSPACE_OVERHEAD_BYTES;
  return entry.bytes;
}

const totals = new WeakMap<ProjectState, { seq: number; bytes: number }>();

/** The size of a project's live workspaces (see workspaceBytes); remembered until the state's seq moves. */
export function projectBytes(state: ProjectState): number {
  const known = totals.get(state);
  if (known !== undefined && known.seq === state.seq) return known.bytes;
  let bytes = 0;
  for (const id of state.order) {
    const entry = state.workspaces.get(id);
    if (entry !== undefined) bytes += workspaceBytes(entry);
  }
  totals.set(state, { seq: state.seq, bytes });
  return bytes;
}
