import type { DirectoryDoc, EventDoc, Models, WorkspaceDoc } from '../db/models.js';
import { onlyDuplicateKeys } from '../db/errors.js';
import { workspaceNotFound } from '../refusals.js';
import { workspaceOf } from './fold.js';

/** Workspace ids whose project is remembered. */
const PROJECT_CACHE_SIZE = 100_000;

export interface WorkspaceDirectoryOptions {
  models: Models;
  /**
   * For a workspace document met at `lastSeq`: true when this node has folded the workspace's delete
   * (the document is a late writer's leftover, now marked for removal); see `StateCache.markLeftover`.
   */
  markLeftover: (projectId: string, id: string, lastSeq: number) => boolean;
}

/** Which project each workspace id belongs to: the `directory` collection, with the answers remembered. */
export class WorkspaceDirectory {
  private readonly projectOfWorkspace = new Map<string, string>();

  constructor(private readonly options: WorkspaceDirectoryOptions) {}

  /**
   * The project of a workspace id: from memory, else from its `directory` entry (stored before the
   * event that created it) or, for workspaces created before there was one, its document. NOT_FOUND
   * when neither knows the id.
   */
  async projectOf(id: string): Promise<string> {
    const known = this.projectOfWorkspace.get(id);
    if (known !== undefined) return known;
    const { models, markLeftover } = this.options;
    const [entry, doc] = await Promise.all([
      models.Directory.findById(id).lean<DirectoryDoc>().exec(),
      models.Workspace.findById(id)
        .select({ projectId: 1, lastSeq: 1 })
        .lean<Pick<WorkspaceDoc, 'projectId' | 'lastSeq'>>()
        .exec(),
    ]);
    const projectId = entry?.projectId ?? doc?.projectId;
    if (projectId === undefined) throw workspaceNotFound(id);
    // Deleted by a seq this node has folded, yet a document is there (a late writer on another node
    // put it back): it answers NOT_FOUND like any deleted workspace, and the next write removes it.
    if (doc !== null && markLeftover(projectId, id, doc.lastSeq)) return projectId;
    this.remember(id, projectId);
    return projectId;
  }

  /** A workspace never changes project, so its project is remembered (bounded: oldest forgotten first). */
  remember(id: string, projectId: string): void {
    if (this.projectOfWorkspace.size >= PROJECT_CACHE_SIZE) {
      const oldest = this.projectOfWorkspace.keys().next().value;
      if (oldest !== undefined) this.projectOfWorkspace.delete(oldest);
    }
    this.projectOfWorkspace.set(id, projectId);
  }

  /**
   * Records the project of each workspace that events about to be stored create, before those events:
   * once an event is visible, every node finds its workspace's project by id, even if the node that
   * stored it dies right after. Entries stored already are left alone.
   */
  async recordCreated(events: EventDoc[]): Promise<void> {
    const entries = events.flatMap((event) => {
      const workspace = event.type === 'workspace.created' ? workspaceOf(event) : undefined;
      return workspace === undefined ? [] : [{ _id: workspace.id, projectId: event.projectId }];
    });
    if (entries.length === 0) return;
    try {
      await this.options.models.Directory.collection.insertMany(entries as never[], { ordered: false });
    } catch (error) {
      if (!onlyDuplicateKeys(error)) throw error;
    }
  }
}
