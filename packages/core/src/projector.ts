import type { Workspace } from '@app/protocol';
import type { EventDoc, Models, ProjectDoc, WorkspaceDoc } from './db/models.js';
import { onlyDuplicateKeys } from './db/errors.js';
import type { EventLog } from './event-log.js';

/** A project's state as the write path needs it. */
export interface ProjectState {
  epoch: string | undefined;
  seq: number;
  order: string[];
}

const CATCH_UP_BATCH = 500;

/**
 * Projects events into the read model (workspaces + project order). Every step is idempotent and
 * guarded by seq, so re-applying an event after a crash is harmless: this is what makes the write path
 * crash-consistent without transactions (event first, projection second, repair on start).
 */
export class Projector {
  constructor(
    private readonly models: Models,
    private readonly log: EventLog,
  ) {}

  /**
   * Applies consecutive events of one project: one write per touched workspace (its last event wins,
   * guarded by `lastSeq`), then one move of the project head. Safe to repeat after a crash.
   */
  async applyBatch(events: EventDoc[]): Promise<void> {
    const last = events[events.length - 1];
    if (last === undefined) return;
    await this.log.indexKeys(events);
    const latest = new Map<string, EventDoc>();
    for (const event of events) {
      const id = workspaceIdOf(event);
      if (id !== undefined) latest.set(id, event);
    }
    const operations = [...latest.entries()].map(([id, event]) => {
      const filter = { _id: id as never, lastSeq: { $lt: event.seq } };
      if (event.type === 'workspace.deleted') return { deleteOne: { filter } };
      return { updateOne: { filter, update: { $set: toDoc(event) }, upsert: true } };
    });
    if (operations.length > 0) {
      try {
        await this.models.Workspace.collection.bulkWrite(operations as never, { ordered: false });
      } catch (error) {
        // E11000 only means a workspace was already at or past that seq; anything else is a real failure.
        if (!onlyDuplicateKeys(error)) throw error;
      }
    }
    await this.models.Project.collection.updateOne(
      { _id: last.projectId as never, seq: { $lt: last.seq } },
      { $set: { seq: last.seq, order: last.order } },
    );
  }

  /** Reads the project head from the database and applies any stored events past it. */
  async catchUp(projectId: string): Promise<ProjectState> {
    const project = await this.models.Project.findById(projectId).lean<ProjectDoc>().exec();
    const state: ProjectState = { epoch: project?.epoch, seq: project?.seq ?? 0, order: project?.order ?? [] };
    for (;;) {
      const events = await this.log.readAfter(projectId, state.seq, CATCH_UP_BATCH);
      await this.applyBatch(events);
      const last = events[events.length - 1];
      if (last !== undefined) {
        state.seq = last.seq;
        state.order = last.order ?? [];
      }
      if (events.length < CATCH_UP_BATCH) return state;
    }
  }
}

function workspaceIdOf(event: EventDoc): string | undefined {
  if (event.type === 'workspace.created' || event.type === 'workspace.updated') {
    return (event.data as { workspace: Workspace }).workspace.id;
  }
  if (event.type === 'workspace.deleted') return (event.data as { id: string }).id;
  return undefined;
}

function toDoc(event: EventDoc): Omit<WorkspaceDoc, '_id'> {
  const workspace = (event.data as { workspace: Workspace }).workspace;
  const doc: Omit<WorkspaceDoc, '_id'> = {
    projectId: workspace.projectId,
    name: workspace.name,
    version: workspace.version,
    data: workspace.data,
    createdAt: new Date(workspace.createdAt),
    updatedAt: new Date(workspace.updatedAt),
    lastSeq: event.seq,
  };
  if (workspace.video !== undefined) doc.video = workspace.video;
  return doc;
}
