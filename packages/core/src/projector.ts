import type { Workspace } from '@app/protocol';
import type { EventDoc, Models, ProjectDoc, WorkspaceDoc } from './db/models.js';
import { onlyDuplicateKeys } from './db/errors.js';
import { findByIds } from './db/point-reads.js';
import type { EventLog } from './event-log.js';

/** A live workspace and the seq of the event that last wrote it. */
export interface WorkspaceEntry {
  /** `position` here is not kept current: it is the index in the project's `order`. */
  workspace: Workspace;
  seq: number;
}

/** A project as this node knows it: the fold of its event log up to `seq`. */
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

/** What one write of the read model stores, taken from a state at one seq. */
export interface ProjectionSnapshot {
  projectId: string;
  seq: number;
  order: string[];
  lastSeqs: Record<string, number>;
  /** Dirty workspaces: the entry to store, or null to delete the document. */
  changes: Map<string, WorkspaceEntry | null>;
}

const CATCH_UP_BATCH = 500;
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
        : { updateOne: { filter: { _id: id }, update: { $set: toDoc(entry) }, upsert: true } },
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
   * Folds stored events into a state, then indexes their request ids and stores the documents of the
   * workspaces they created, so every node finds a workspace's project by its id. Ones stored
   * already are left alone: for events another node stored, this restores what a crash of that
   * node may have left undone. The state is advanced even when those writes fail.
   */
  async fold(state: ProjectState, events: EventDoc[]): Promise<void> {
    for (const event of events) applyEvent(state, event);
    this.log.remember(events);
    const created = events.flatMap((event) =>
      event.type === 'workspace.created' ? (state.workspaces.get(workspaceOf(event)!.id) ?? []) : [],
    );
    await Promise.all([this.log.indexKeys(events), this.insertCreated(created)]);
  }

  /**
   * Records the project of each workspace that events about to be stored create (`directory`),
   * before those events: once an event is visible, every node finds its workspace's project by id,
   * even if the node that stored it dies right after. Entries stored already are left alone.
   */
  async storeDirectory(events: EventDoc[]): Promise<void> {
    const entries = events.flatMap((event) => {
      const workspace = event.type === 'workspace.created' ? workspaceOf(event) : undefined;
      return workspace === undefined ? [] : [{ _id: workspace.id, projectId: event.projectId }];
    });
    if (entries.length === 0) return;
    try {
      await this.models.Directory.collection.insertMany(entries as never[], { ordered: false });
    } catch (error) {
      if (!onlyDuplicateKeys(error)) throw error;
    }
  }

  private async insertCreated(entries: WorkspaceEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const docs = entries.map((entry) => ({ _id: entry.workspace.id, ...toDoc(entry) }));
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
    // by a late writer after a delete) is not read here; `WorkspaceService` removes one when it meets it.
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
      const workspace = event === null ? undefined : workspaceOf(event);
      if (workspace === undefined || workspace.id !== id)
        throw new Error(`event ${projectId}:${seq} named by the project head is missing`);
      state.workspaces.set(id, { workspace, seq });
      state.dirty.add(id);
    }
  }
}

/** Moves a state past one event (the same fold the plan of a batch makes). */
export function applyEvent(state: ProjectState, event: Pick<EventDoc, 'seq' | 'type' | 'data'>): void {
  const workspace = workspaceOf(event);
  if (workspace !== undefined) {
    state.workspaces.set(workspace.id, { workspace, seq: event.seq });
    state.dirty.add(workspace.id);
  } else if (event.type === 'workspace.deleted') {
    const id = (event.data as { id: string }).id;
    state.workspaces.delete(id);
    state.dirty.add(id);
  }
  state.order = nextOrder(state.order, event);
  state.seq = event.seq;
  state.headDirty = true;
}

/** The project's order after an event (a new array when it changes). */
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

export function workspaceOf(event: Pick<EventDoc, 'type' | 'data'>): Workspace | undefined {
  if (event.type === 'workspace.created' || event.type === 'workspace.updated')
    return (event.data as { workspace: Workspace }).workspace;
  return undefined;
}

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

function toDoc({ workspace, seq }: WorkspaceEntry): Omit<WorkspaceDoc, '_id'> {
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
