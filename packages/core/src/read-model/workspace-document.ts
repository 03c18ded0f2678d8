import type { Workspace } from '@app/protocol';
import type { WorkspaceDoc } from '../db/models.js';
import type { WorkspaceEntry } from '../project-state/project-state.js';

/** A workspace from its read-model document, at `position`. */
export function toWorkspace(doc: WorkspaceDoc, position: number): Workspace {
  const workspace: Workspace = {
    id: doc._id,
    projectId: doc.projectId,
    name: doc.name,
    position,
    version: doc.version,
    data: typeof doc.data === 'string' ? (JSON.parse(doc.data) as Workspace['data']) : (doc.data ?? {}),
    createdAt: new Date(doc.createdAt).toISOString(),
    updatedAt: new Date(doc.updatedAt).toISOString(),
  };
  if (doc.video !== undefined && doc.video !== null) workspace.video = doc.video as Workspace['video'] & object;
  return workspace;
}

/** The read-model document of a workspace (without `_id`), with the seq that last wrote it. */
export function toWorkspaceDocument({ workspace, seq }: WorkspaceEntry): Omit<WorkspaceDoc, '_id'> {
  const doc: Omit<WorkspaceDoc, '_id'> = {
    projectId: workspace.projectId,
    name: workspace.name,
    version: workspace.version,
    data: JSON.stringify(workspace.data), // JSON text: stored as it is on every backend (ADR 0004)
    createdAt: new Date(workspace.createdAt),
    updatedAt: new Date(workspace.updatedAt),
    lastSeq: seq,
  };
  if (workspace.video !== undefined) doc.video = workspace.video;
  return doc;
}
