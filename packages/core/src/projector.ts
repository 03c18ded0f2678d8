import type { Workspace } from '@app/protocol';
import type { EventDoc, Models, ProjectDoc, WorkspaceDoc } from './db/models.js';
import { isDuplicateKey } from './db/errors.js';
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

  async apply(event: EventDoc): Promise<void> {
    const { Workspace, Project } = this.models;
    if (event.type === 'workspace.created' || event.type === 'workspace.updated') {
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
      try {
        await Workspace.collection.updateOne(
          { _id: workspace.id as never, lastSeq: { $lt: event.seq } },
          { $set: doc },
          { upsert: true },
        );
      } catch (error) {
        if (!isDuplicateKey(error)) throw error; // already at or past this seq
      }
    } else if (event.type === 'workspace.deleted') {
      const { id } = event.data as { id: string };
      await Workspace.collection.deleteOne({ _id: id as never, lastSeq: { $lt: event.seq } });
    }
    await Project.collection.updateOne(
      { _id: event.projectId as never, seq: { $lt: event.seq } },
      { $set: { seq: event.seq, order: event.order } },
    );
  }

  /** Reads the project head from the database and applies any stored events past it. */
  async catchUp(projectId: string): Promise<ProjectState> {
    const project = await this.models.Project.findById(projectId).lean<ProjectDoc>().exec();
    const state: ProjectState = { epoch: project?.epoch, seq: project?.seq ?? 0, order: project?.order ?? [] };
    for (;;) {
      const events = await this.log.readAfter(projectId, state.seq, CATCH_UP_BATCH);
      for (const event of events) {
        await this.apply(event);
        state.seq = event.seq;
        state.order = event.order ?? [];
      }
      if (events.length < CATCH_UP_BATCH) return state;
    }
  }
}
