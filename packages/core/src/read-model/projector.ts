import type { Video, Workspace } from '@app/protocol';
import type { EventDoc, Models, ProjectDoc, WorkspaceDoc } from '../db/models.js';
import { onlyDuplicateKeys } from '../db/errors.js';
import { findByIds } from '../db/point-reads.js';
import type { EventLog } from '../event-log.js';
import { foldEvent, workspaceOf } from '../project-state/fold.js';
import type { ProjectState, WorkspaceEntry } from '../project-state/project-state.js';
import type { ProjectionSnapshot } from './projection-snapshot.js';
import { toWorkspace, toWorkspaceDocument } from './workspace-document.js';

const CATCH_UP_BATCH = 500;
/** Events read at once when walking the log back (`workspaceAt`): a few blocks of `EventRanges`. */
const WALK_BACK_EVENTS = 256;
/** Most workspace writes in one command of a read-model write. */
const WRITE_CHUNK = 64;

/**
 * The read model: one document per workspace and one head per project (`seq`, `order`, and the seq
 * that last wrote each workspace). It is derived from the event log and written after the ack,
 * coalesced, with `_id`-only filters and no guards, so a late or concurrent writer may leave a
 * document older than the head says. Loading therefore trusts a workspace document only when its
 * `lastSeq` is the one the head names (otherwise it takes the workspace from that event), then folds
 * the events after the head: the result always equals the fold of the log.
 */
export class Projector {
  constructor(
    private readonly models: Models,
    private readonly log: EventLog,
  ) {}

  /** Reads a project from the read model and its log: head, workspaces, then every event past the head. */
  async load(projectId: string): Promise<ProjectState> {
    const head = await this.models.Project.findById(projectId).lean<ProjectDoc>().exec();
    const state: ProjectState = {
      epoch: head?.epoch,
      seq: head?.seq ?? 0,
      order: head?.order ?? [],
      workspaces: new Map(),
      dirty: new Set(),
      headDirty: false,
    };
    if (head !== null) await this.loadWorkspaces(projectId, head, state);
    await this.catchUp(projectId, state);
    return state;
  }

  /** Whether the log holds an event past a head at `headSeq` (one primary-key read). */
  async lags(projectId: string, headSeq: number): Promise<boolean> {
    return (await this.log.findById(projectId, headSeq + 1)) !== null;
  }

  /** Folds stored events past `state.seq` into it; returns how many there were. */
  async catchUp(projectId: string, state: ProjectState): Promise<number> {
    let applied = 0;
    for (;;) {
      const events = await this.log.readAfter(projectId, state.seq, CATCH_UP_BATCH);
      if (events.length === 0) return applied;
      await this.fold(state, events);
      applied += events.length;
      if (events.length < CATCH_UP_BATCH) return applied;
    }
  }

  /** Writes a snapshot: dirty workspaces with one bulk write, then the head. Idempotent. */
  async write(snapshot: ProjectionSnapshot): Promise<void> {
    const operations = [...snapshot.changes].map(([id, entry]) =>
      entry === null
        ? { deleteOne: { filter: { _id: id } } }
        : { updateOne: { filter: { _id: id }, update: { $set: toWorkspaceDocument(entry) }, upsert: true } },
    );
    // In chunks: FerretDB v1 never answers an update command of about 100 or more statements that
    // match existing documents (and stalls the writes after it), so no command carries more.
    for (let start = 0; start < operations.length; start += WRITE_CHUNK) {
      await this.models.Workspace.collection.bulkWrite(operations.slice(start, start + WRITE_CHUNK) as never, {
        ordered: false,
      });
    }
    await this.models.Project.collection.updateOne(
      { _id: snapshot.projectId as never },
      { $set: { seq: snapshot.seq, order: snapshot.order, lastSeqs: snapshot.lastSeqs } },
    );
  }

  /**
   * Folds stored events into a state (marking what the read model lacks), then indexes their request
   * ids and stores the documents of the workspaces they created, so every node finds a workspace's
   * project by its id. Ones stored already are left alone: for events another node stored, this
   * restores what a crash of that node may have left undone. The state is advanced even when those
   * writes fail.
   */
  async fold(state: ProjectState, events: EventDoc[]): Promise<void> {
    for (const event of events) {
      const touched = foldEvent(state, event);
      if (touched !== undefined) state.dirty.add(touched);
      state.headDirty = true;
    }
    this.log.remember(events);
    const created = events.flatMap((event) =>
      event.type === 'workspace.created' ? (state.workspaces.get(workspaceOf(event)!.id) ?? []) : [],
    );
    await Promise.all([this.log.indexKeys(events), this.insertCreated(created)]);
  }

  private async insertCreated(entries: WorkspaceEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const docs = entries.map((entry) => ({ _id: entry.workspace.id, ...toWorkspaceDocument(entry) }));
    try {
      await this.models.Workspace.collection.insertMany(docs as never[], { ordered: false });
    } catch (error) {
      if (!onlyDuplicateKeys(error)) throw error;
    }
  }

  private async loadWorkspaces(projectId: string, head: ProjectDoc, state: ProjectState): Promise<void> {
    const lastSeqs = head.lastSeqs ?? {};
    const order = head.order ?? []; // an empty array stored with $setOnInsert does not come back from FerretDB v1
    // By primary key: the head lists every live workspace. A document the head does not list (left
    // by a late writer after a delete) is not read here; `WorkspaceDirectory` has it removed when it meets it.
    const docs = await findByIds(this.models.Workspace, order);
    const byId = new Map<string, WorkspaceDoc>();
    for (const doc of docs) if (doc.projectId === projectId) byId.set(doc._id, doc);
    const stale: { id: string; seq: number }[] = [];
    for (const id of order) {
      const doc = byId.get(id);
      const seq = lastSeqs[id];
      if (doc !== undefined && (seq === undefined || doc.lastSeq === seq)) {
        state.workspaces.set(id, { workspace: toWorkspace(doc, 0), seq: doc.lastSeq });
      } else if (seq !== undefined) {
        stale.push({ id, seq });
      }
    }
    // The document is older or newer than the head says: take the workspace from the event the head names.
    const events = await Promise.all(stale.map(({ seq }) => this.log.findById(projectId, seq)));
    for (const [i, event] of events.entries()) {
      const { id, seq } = stale[i]!;
      const workspace =
        event === null
          ? undefined
          : event.type === 'video.status_update'
            ? await this.workspaceAt(projectId, id, event)
            : workspaceOf(event);
      if (workspace === undefined || workspace.id !== id)
        throw new Error(`event ${projectId}:${seq} named by the project head is missing`);
      state.workspaces.set(id, { workspace, seq });
      state.dirty.add(id);
    }
  }

  /**
   * A workspace as of a `video.status_update` event (which carries only the video): found by walking the
   * log back to the last event that carried the workspace whole, then folding the video statuses after it.
   * Only after a crash left the read model behind; the walk reads the log a block of seqs at a time.
   */
  private async workspaceAt(projectId: string, id: string, last: EventDoc): Promise<Workspace | undefined> {
    const videos: EventDoc[] = [last];
    for (let upto = last.seq - 1; upto > 0;) {
      const from = Math.max(0, upto - WALK_BACK_EVENTS);
      const events = await this.log.readAfter(projectId, from, upto - from, upto);
      if (events.length !== upto - from) return undefined; // a hole in the log
      for (let i = events.length - 1; i >= 0; i -= 1) {
        const event = events[i]!;
        const whole = workspaceOf(event);
        if (whole?.id === id) {
          let workspace = whole;
          for (const video of videos.reverse()) {
            const { workspaceId: _workspaceId, ...status } = video.data as { workspaceId: string } & Video;
            workspace = { ...workspace, video: status };
          }
          return workspace;
        }
        if (event.type === 'video.status_update' && (event.data as { workspaceId: string }).workspaceId === id)
          videos.push(event);
      }
      upto = from;
    }
    return undefined;
  }
}
