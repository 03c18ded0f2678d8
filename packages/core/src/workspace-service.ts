import { randomUUID } from 'node:crypto';
import {
  ProtocolError,
  type AckData,
  type Origin,
  type ParsedRequestData,
  type ServerEvent,
  type Workspace,
} from '@app/protocol';
import type { EventBus } from './bus/event-bus.js';
import type { EventDoc, Models, WorkspaceDoc } from './db/models.js';
import { isDuplicateKey, toStorageError } from './db/errors.js';
import { EventLog } from './event-log.js';
import { KeyedQueue, type Sequencer } from './keyed-queue.js';
import type { Logger } from './logger.js';
import { Projector, type ProjectState } from './projector.js';
import { requestHash } from './hash.js';

/** Who asks, for idempotency and `origin`. */
export interface MutationContext extends ReadContext {
  /** Authenticated subject; all anonymous callers share one. */
  subject: string;
  requestId?: string | undefined;
  origin?: Origin | undefined;
}

/** For reads: ordering and authorization. */
export interface ReadContext {
  /** Keeps this caller's requests in arrival order (one per connection). */
  sequencer?: Sequencer | undefined;
  /** Throws (FORBIDDEN) when the caller may not use the project; called once the project is known. */
  authorize?: ((projectId: string) => void) | undefined;
}

export type ReplayResult =
  | { epoch: string; seq: number; resync: true }
  | { epoch: string; seq: number; events: ServerEvent[] };

export interface WorkspaceServiceOptions {
  models: Models;
  bus: EventBus;
  logger: Logger;
  /** Most events a `sinceSeq` replay sends before answering `resync` instead. */
  maxReplayEvents?: number;
  /** False while the database is known to be unreachable: requests then fail fast with UNAVAILABLE. */
  isAvailable?: () => boolean;
}

type Plan = { type: ServerEvent['type']; data: Record<string, unknown>; order: string[] };

/** What a batch plans against: the project head plus the workspaces it touches, advanced event by event. */
interface BatchView {
  epoch: string;
  seq: number;
  order: string[];
  /** Touched workspaces by id (null: deleted in this batch; absent: does not exist). */
  workspaces: Map<string, Workspace | null>;
  now: string;
}

interface PendingMutation {
  hash: string;
  key: string | undefined;
  origin: Origin | undefined;
  touches: string[];
  plan: (view: BatchView) => Plan;
  resolve: (data: unknown) => void;
  reject: (error: unknown) => void;
}

const MAX_SEQ_RETRIES = 8;
/** Workspace ids whose project is remembered. */
const PROJECT_CACHE_SIZE = 100_000;
/** Most mutations committed together. */
const MAX_BATCH = 256;

/** The only write path: validate -> idempotency -> apply with version check -> seq -> store event -> project -> publish. */
export class WorkspaceService {
  readonly log: EventLog;
  private readonly projector: Projector;
  private readonly queue = new KeyedQueue();
  /** This node's view of each project's head; a stale one is caught by the seq uniqueness of `_id`. */
  private readonly states = new Map<string, ProjectState & { epoch: string }>();
  private readonly projectOfWorkspace = new Map<string, string>();
  private readonly models: Models;
  private readonly bus: EventBus;
  private readonly logger: Logger;
  private readonly maxReplayEvents: number;
  private readonly isAvailable: () => boolean;

  constructor(options: WorkspaceServiceOptions) {
    this.models = options.models;
    this.bus = options.bus;
    this.logger = options.logger;
    this.maxReplayEvents = options.maxReplayEvents ?? 10_000;
    this.isAvailable = options.isAvailable ?? (() => true);
    this.log = new EventLog(this.models);
    this.projector = new Projector(this.models, this.log);
  }

  create(input: ParsedRequestData<'workspace.create'>, ctx: MutationContext): Promise<AckData<'workspace.create'>> {
    return this.mutate('workspace.create', input, ctx, [], () => input.projectId, (view) => {
      const position = Math.min(input.position ?? view.order.length, view.order.length);
      const workspace: Workspace = {
        id: randomUUID(),
        projectId: input.projectId,
        name: input.name,
        position,
        version: 1,
        data: input.data ?? {},
        createdAt: view.now,
        updatedAt: view.now,
      };
      const order = [...view.order];
      order.splice(position, 0, workspace.id);
      return { type: 'workspace.created', data: { workspace }, order };
    }) as Promise<AckData<'workspace.create'>>;
  }

  update(input: ParsedRequestData<'workspace.update'>, ctx: MutationContext): Promise<AckData<'workspace.update'>> {
    return this.mutate('workspace.update', input, ctx, [input.id], () => this.projectOf(input.id), (view) => {
      const current = currentWorkspace(view, input.id, input.expectedVersion);
      const workspace: Workspace = {
        ...current,
        name: input.patch.name ?? current.name,
        data: input.patch.data ?? current.data,
        version: current.version + 1,
        updatedAt: view.now,
      };
      return { type: 'workspace.updated', data: { workspace }, order: view.order };
    }) as Promise<AckData<'workspace.update'>>;
  }

  delete(input: ParsedRequestData<'workspace.delete'>, ctx: MutationContext): Promise<AckData<'workspace.delete'>> {
    return this.mutate('workspace.delete', input, ctx, [input.id], () => this.projectOf(input.id), (view) => {
      currentWorkspace(view, input.id, input.expectedVersion);
      return { type: 'workspace.deleted', data: { id: input.id }, order: view.order.filter((id) => id !== input.id) };
    }) as Promise<AckData<'workspace.delete'>>;
  }

  reorder(input: ParsedRequestData<'workspace.reorder'>, ctx: MutationContext): Promise<AckData<'workspace.reorder'>> {
    return this.mutate('workspace.reorder', input, ctx, [], () => input.projectId, (view) => {
      if (view.seq === 0) throw new ProtocolError('NOT_FOUND', `Project ${input.projectId} does not exist`);
      if (!isPermutation(input.order, view.order)) {
        throw new ProtocolError('CONFLICT', 'order is not a permutation of the project\'s workspaces', {
          details: { order: view.order },
        });
      }
      return { type: 'workspace.reordered', data: { order: input.order }, order: input.order };
    }) as Promise<AckData<'workspace.reorder'>>;
  }

  /** The project's workspaces in order, and the seq they reflect. */
  list(projectId: string, ctx: ReadContext = {}): Promise<AckData<'workspace.list'>> {
    return this.guard(() =>
      this.inOrder(ctx, () => projectId, () => this.queue.run(projectId, async () => {
        const state = await this.freshState(projectId, false);
        return { workspaces: await this.orderedWorkspaces(projectId, state.order), seq: state.seq };
      })),
    );
  }

  /** Snapshot for `subscribe` without `sinceSeq`. */
  snapshot(projectId: string, ctx: ReadContext = {}): Promise<{ epoch: string; seq: number; workspaces: Workspace[] }> {
    return this.guard(() =>
      this.inOrder(ctx, () => projectId, () => this.queue.run(projectId, async () => {
        const state = await this.freshState(projectId, true);
        return { epoch: state.epoch, seq: state.seq, workspaces: await this.orderedWorkspaces(projectId, state.order) };
      })),
    );
  }

  /** Events after `sinceSeq` for `subscribe` with `sinceSeq`, or `resync` when they cannot be trusted or are too many. */
  replay(projectId: string, sinceSeq: number, epoch?: string, ctx: ReadContext = {}): Promise<ReplayResult> {
    return this.guard(() =>
      this.inOrder(ctx, () => projectId, () => this.queue.run(projectId, async () => {
        const state = await this.freshState(projectId, true);
        const head = { epoch: state.epoch, seq: state.seq };
        if ((epoch !== undefined && epoch !== state.epoch) || sinceSeq > state.seq || state.seq - sinceSeq > this.maxReplayEvents) {
          return { ...head, resync: true as const };
        }
        const events = await this.log.readAfter(projectId, sinceSeq, this.maxReplayEvents, state.seq);
        return { ...head, events: events.map(toServerEvent) };
      })),
    );
  }

  /** Stored events in (afterSeq, uptoSeq], to repair a gap in delivery. */
  eventsBetween(projectId: string, afterSeq: number, uptoSeq?: number): Promise<ServerEvent[]> {
    return this.guard(async () =>
      (await this.log.readAfter(projectId, afterSeq, this.maxReplayEvents, uptoSeq)).map(toServerEvent),
    );
  }

  /** One workspace with its position. */
  get(id: string, ctx: ReadContext = {}): Promise<Workspace> {
    return this.guard(async () => {
      const projectId = await this.projectOf(id);
      ctx.authorize?.(projectId);
      return this.queue.run(projectId, async () => {
        const state = await this.freshState(projectId, false);
        const position = state.order.indexOf(id);
        const doc = position < 0 ? null : await this.models.Workspace.findById(id).lean<WorkspaceDoc>().exec();
        if (doc === null) throw notFound(id);
        return toWorkspace(doc, position);
      });
    });
  }

  /** Brings every project's read model up to its event log (after a crash). Returns how many projects were checked. */
  async repairAll(): Promise<number> {
    const ids = await this.guard(() => this.log.projectIds());
    for (const projectId of ids) await this.guard(() => this.queue.run(projectId, () => this.freshState(projectId, true)));
    return ids.length;
  }

  /** Waits for queued work (graceful shutdown). */
  drain(): Promise<void> {
    return this.queue.drain();
  }

  private mutate(
    type: string,
    input: unknown,
    ctx: MutationContext,
    touches: string[],
    findProject: () => Promise<string> | string,
    plan: (view: BatchView) => Plan,
  ): Promise<unknown> {
    const hash = requestHash(type, input);
    const key = ctx.requestId === undefined ? undefined : EventLog.requestKey(ctx.subject, ctx.requestId);
    return this.guard(() =>
      this.inOrder(ctx, () => this.resolveProject(findProject, key), (projectId) =>
        new Promise<unknown>((resolve, reject) => {
          const pending: PendingMutation = { hash, key, origin: ctx.origin, touches, plan, resolve, reject };
          this.queue.enqueueBatch(projectId, pending, (items) => this.commitBatch(projectId, items), MAX_BATCH);
        }),
      ),
    );
  }

  /**
   * Group commit: plans every queued mutation of a project against one in-memory view, stores all
   * their events with one ordered insert, projects them with one bulk write, then acks and publishes
   * them in seq order. A seq taken by another node, or a key applied meanwhile, re-plans the rest.
   */
  private async commitBatch(projectId: string, items: PendingMutation[]): Promise<void> {
    let remaining = items;
    for (let attempt = 0; remaining.length > 0; attempt += 1) {
      if (attempt >= MAX_SEQ_RETRIES) {
        for (const item of remaining) item.reject(new ProtocolError('UNAVAILABLE', 'Too much contention on this project; retry'));
        return;
      }
      try {
        remaining = await this.commitOnce(projectId, remaining);
      } catch (error) {
        this.states.delete(projectId);
        for (const item of remaining) item.reject(toStorageError(error));
        return;
      }
    }
  }

  /** One round of a batch; returns the mutations that must be planned again. */
  private async commitOnce(projectId: string, items: PendingMutation[]): Promise<PendingMutation[]> {
    const state = await this.verifiedState(projectId);
    const view = await this.loadView(state, items);
    const planned: { item: PendingMutation; event: EventDoc }[] = [];
    const later: PendingMutation[] = [];
    const keysInBatch = new Set<string>();
    for (const item of items) {
      if (item.key !== undefined && keysInBatch.has(item.key)) {
        later.push(item); // the same id twice in one batch: answer it once the first is stored
        continue;
      }
      let next: Plan;
      try {
        next = item.plan(view);
      } catch (error) {
        // A retry of an applied request may no longer plan (its version moved on): answer it with the original.
        const earlier = item.key === undefined ? null : await this.log.findByKey(item.key);
        if (earlier !== null) this.replayApplied(item, earlier);
        else item.reject(error);
        continue;
      }
      const seq = view.seq + 1;
      const event: EventDoc = {
        _id: EventLog.eventId(projectId, seq),
        projectId,
        seq,
        key: item.key ?? `~${projectId}:${seq}`,
        requestHash: item.hash,
        type: next.type,
        data: next.data,
        order: next.order,
        createdAt: new Date(),
      };
      if (item.origin !== undefined) event.origin = item.origin;
      if (item.key !== undefined) keysInBatch.add(item.key);
      advance(view, event);
      planned.push({ item, event });
    }
    if (planned.length === 0) return later;
    const { inserted, error } = await this.log.appendMany(planned.map((p) => p.event));
    const committed = planned.slice(0, inserted);
    if (committed.length > 0) await this.finish(projectId, state, committed);
    if (error === undefined) return later;
    this.states.delete(projectId);
    const rest = planned.slice(inserted).map((p) => p.item);
    if (isDuplicateKey(error)) {
      // Another node took a seq (plan again), or the key was applied but not indexed yet (a crash window).
      const refused = rest[0];
      const stored =
        refused?.key === undefined ? null : ((await this.log.findByKey(refused.key)) ?? (await this.log.scanForKey(refused.key)));
      if (refused !== undefined && stored !== null) {
        this.replayApplied(refused, stored);
        return [...rest.slice(1), ...later];
      }
      return [...rest, ...later];
    }
    const failure = toStorageError(error);
    for (const item of rest) item.reject(failure);
    return later;
  }

  /** Answers a retried request with the result it had, and announces its event again (its node may have crashed before publishing). */
  private replayApplied(item: PendingMutation, earlier: EventDoc): void {
    settle(item, () => this.replayed(earlier, item.hash));
    const wire = toServerEvent(earlier);
    setImmediate(() => this.bus.publish(wire));
  }

  /** Projects stored events, moves this node's head, acks, and publishes them in order. */
  private async finish(projectId: string, state: ProjectState, committed: { item: PendingMutation; event: EventDoc }[]): Promise<void> {
    const events = committed.map((c) => c.event);
    const last = events[events.length - 1]!;
    try {
      await this.projector.applyBatch(events);
      state.seq = last.seq;
      state.order = last.order;
    } catch (error) {
      // The events are durable; the projection is repaired by the next catch-up.
      this.states.delete(projectId);
      this.logger.warn(`projection of ${projectId} up to seq ${last.seq} deferred: ${(error as Error).message}`);
    }
    for (const { item, event } of committed) {
      if (event.type === 'workspace.created') this.rememberProject((event.data as { workspace: Workspace }).workspace.id, projectId);
      item.resolve(event.data);
    }
    const wires = events.map(toServerEvent);
    setImmediate(() => {
      for (const wire of wires) this.bus.publish(wire);
    });
  }

  /** This node's head of the project, checked against the log (one indexed read) so a stale cache is refreshed. */
  private async verifiedState(projectId: string): Promise<ProjectState & { epoch: string }> {
    const cached = this.states.get(projectId);
    if (cached !== undefined && !(await this.log.exists(projectId, cached.seq + 1))) return cached;
    return this.freshState(projectId, true);
  }

  /** The view a batch plans against: head, order and the workspaces it touches (one read). */
  private async loadView(state: ProjectState & { epoch: string }, items: PendingMutation[]): Promise<BatchView> {
    const ids = [...new Set(items.flatMap((item) => item.touches))];
    // One primary-key read per workspace, in parallel (an `$in` is a full scan on FerretDB v1).
    const found = await Promise.all(ids.map((id) => this.models.Workspace.findById(id).lean<WorkspaceDoc>().exec()));
    const docs = found.filter((doc): doc is WorkspaceDoc => doc !== null);
    const workspaces = new Map<string, Workspace | null>();
    for (const doc of docs) {
      const position = state.order.indexOf(doc._id);
      if (position >= 0) workspaces.set(doc._id, toWorkspace(doc, position));
    }
    return { epoch: state.epoch, seq: state.seq, order: state.order, workspaces, now: new Date().toISOString() };
  }

  /** The project a mutation belongs to; for a retried request whose workspace is gone, the project of its event. */
  private async resolveProject(findProject: () => Promise<string> | string, key: string | undefined): Promise<string> {
    try {
      return await findProject();
    } catch (error) {
      if (key === undefined || !(error instanceof ProtocolError) || error.code !== 'NOT_FOUND') throw error;
      const previous = await this.log.findByKey(key);
      if (previous === null) throw error;
      return previous.projectId;
    }
  }

  /** Resolves the project in the caller's turn, enqueues `task` on it, then lets the caller's next request in. */
  private async inOrder<T>(
    ctx: ReadContext,
    findProject: () => Promise<string> | string,
    enqueue: (projectId: string) => Promise<T>,
  ): Promise<T> {
    if (ctx.sequencer === undefined) {
      const projectId = await findProject();
      ctx.authorize?.(projectId);
      return enqueue(projectId);
    }
    const turn = ctx.sequencer.turn();
    let queued: Promise<T>;
    try {
      await turn.ready;
      const projectId = await findProject();
      ctx.authorize?.(projectId);
      queued = enqueue(projectId);
    } finally {
      turn.release();
    }
    return queued;
  }

  private replayed(previous: EventDoc, hash: string): unknown {
    if (previous.requestHash !== undefined && previous.requestHash !== hash) {
      throw new ProtocolError('INVALID_MESSAGE', 'Request id was already used for a different request', {
        details: { issues: [{ path: ['id'], message: 'already used for a different request' }] },
      });
    }
    return previous.data;
  }

  /** Reads the head from the database, applies stored events past it, and caches the result. */
  private async freshState(projectId: string, createLog: true): Promise<ProjectState & { epoch: string }>;
  private async freshState(projectId: string, createLog: false): Promise<ProjectState>;
  private async freshState(projectId: string, createLog: boolean): Promise<ProjectState> {
    const state = await this.projector.catchUp(projectId);
    if (state.epoch === undefined) {
      if (!createLog && state.seq === 0) return state;
      state.epoch = await this.createLog(projectId, state);
    }
    const known = { ...state, epoch: state.epoch };
    this.states.set(projectId, known);
    return known;
  }

  private async createLog(projectId: string, state: ProjectState): Promise<string> {
    const { Project } = this.models;
    try {
      await Project.collection.updateOne(
        { _id: projectId as never },
        { $setOnInsert: { epoch: randomUUID(), seq: state.seq, order: state.order, createdAt: new Date() } },
        { upsert: true },
      );
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    const project = await Project.findById(projectId).lean().exec();
    if (project === null) throw new ProtocolError('INTERNAL', 'Internal error');
    return project.epoch;
  }

  private async projectOf(id: string): Promise<string> {
    const known = this.projectOfWorkspace.get(id);
    if (known !== undefined) return known;
    const doc = await this.models.Workspace.findById(id).select({ projectId: 1 }).lean<Pick<WorkspaceDoc, 'projectId'>>().exec();
    if (doc === null) throw notFound(id);
    this.rememberProject(id, doc.projectId);
    return doc.projectId;
  }

  /** A workspace never changes project, so its project is remembered (bounded: oldest forgotten first). */
  private rememberProject(id: string, projectId: string): void {
    if (this.projectOfWorkspace.size >= PROJECT_CACHE_SIZE) {
      const oldest = this.projectOfWorkspace.keys().next().value;
      if (oldest !== undefined) this.projectOfWorkspace.delete(oldest);
    }
    this.projectOfWorkspace.set(id, projectId);
  }

  private async orderedWorkspaces(projectId: string, order: string[]): Promise<Workspace[]> {
    const docs = await this.models.Workspace.find({ projectId }).lean<WorkspaceDoc[]>().exec();
    const byId = new Map(docs.map((doc) => [doc._id, doc]));
    const out: Workspace[] = [];
    order.forEach((id, position) => {
      const doc = byId.get(id);
      if (doc !== undefined) out.push(toWorkspace(doc, position));
    });
    return out;
  }

  private async guard<T>(task: () => Promise<T>): Promise<T> {
    if (!this.isAvailable()) throw new ProtocolError('UNAVAILABLE', 'Storage is temporarily unavailable; retry later');
    try {
      return await task();
    } catch (error) {
      throw toStorageError(error);
    }
  }
}

function currentWorkspace(view: BatchView, id: string, expectedVersion: number | undefined): Workspace {
  const workspace = view.workspaces.get(id);
  if (workspace === undefined || workspace === null) throw notFound(id);
  if (expectedVersion !== undefined && expectedVersion !== workspace.version) {
    throw new ProtocolError('CONFLICT', `Workspace is at version ${workspace.version}, not ${expectedVersion}`, {
      details: { workspace },
    });
  }
  return workspace;
}

/** Moves a batch view past one planned event. */
function advance(view: BatchView, event: EventDoc): void {
  view.seq = event.seq;
  view.order = event.order;
  if (event.type === 'workspace.deleted') view.workspaces.set((event.data as { id: string }).id, null);
  else if (event.type === 'workspace.created' || event.type === 'workspace.updated') {
    const workspace = (event.data as { workspace: Workspace }).workspace;
    view.workspaces.set(workspace.id, workspace);
  }
  if (event.type !== 'workspace.updated') {
    for (const [id, workspace] of view.workspaces) {
      if (workspace !== null) view.workspaces.set(id, { ...workspace, position: view.order.indexOf(id) });
    }
  }
}

function settle(item: PendingMutation, result: () => unknown): void {
  try {
    item.resolve(result());
  } catch (error) {
    item.reject(error);
  }
}

function notFound(id: string): ProtocolError {
  return new ProtocolError('NOT_FOUND', `Workspace ${id} does not exist`);
}

function isPermutation(candidate: string[], current: string[]): boolean {
  if (candidate.length !== current.length) return false;
  const wanted = new Set(current);
  const seen = new Set<string>();
  for (const id of candidate) {
    if (!wanted.has(id) || seen.has(id)) return false;
    seen.add(id);
  }
  return true;
}

export function toWorkspace(doc: WorkspaceDoc, position: number): Workspace {
  const workspace: Workspace = {
    id: doc._id,
    projectId: doc.projectId,
    name: doc.name,
    position,
    version: doc.version,
    data: doc.data ?? {},
    createdAt: new Date(doc.createdAt).toISOString(),
    updatedAt: new Date(doc.updatedAt).toISOString(),
  };
  if (doc.video !== undefined && doc.video !== null) workspace.video = doc.video as Workspace['video'] & object;
  return workspace;
}

export function toServerEvent(event: EventDoc): ServerEvent {
  const wire = { type: event.type, projectId: event.projectId, seq: event.seq, data: event.data } as ServerEvent;
  if (event.origin !== undefined && event.origin !== null) wire.origin = event.origin as Origin;
  return wire;
}
