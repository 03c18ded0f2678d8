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
import {
  Projector,
  nextOrder,
  restoreSnapshot,
  takeSnapshot,
  workspaceOf,
  type ProjectState,
} from './projector.js';
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

/**
 * What a `sinceSeq` subscribe answers: `resync`, or the head up to which the caller streams the
 * events after `sinceSeq` itself (`eventsBetween`, in chunks at the pace its reader takes them).
 */
export type ReplayResult =
  | { epoch: string; seq: number; resync: true }
  | { epoch: string; seq: number; resync?: undefined };

export interface WorkspaceServiceOptions {
  models: Models;
  bus: EventBus;
  logger: Logger;
  /** Most events a `sinceSeq` replay sends before answering `resync` instead. */
  maxReplayEvents?: number;
  /** False while the database is known to be unreachable: requests then fail fast with UNAVAILABLE. */
  isAvailable?: () => boolean;
  /** How long after a commit the read model is written (commits meanwhile are written together); 0: right away. */
  projectionDelayMs?: number;
}

type Plan = { type: ServerEvent['type']; data: Record<string, unknown> };

interface PendingMutation {
  hash: string;
  key: string | undefined;
  origin: Origin | undefined;
  plan: (view: BatchView) => Plan;
  resolve: (data: unknown) => void;
  reject: (error: unknown) => void;
}

const MAX_SEQ_RETRIES = 8;
/** Workspace ids whose project is remembered. */
const PROJECT_CACHE_SIZE = 100_000;
/** Projects whose state is kept in memory (the least recently used clean one is dropped first). */
const STATE_CACHE_SIZE = 1_000;
/** Most mutations committed together. */
const MAX_BATCH = 256;
export const DEFAULT_PROJECTION_DELAY_MS = 500;
/** Longest wait between attempts to write the read model while the database fails. */
const MAX_WRITE_RETRY_MS = 30_000;

/**
 * What a batch plans against: the project state plus the events planned so far in this batch,
 * kept apart so a batch that fails leaves the state untouched.
 */
class BatchView {
  seq: number;
  order: string[];
  readonly now = new Date().toISOString();
  private readonly changed = new Map<string, Workspace | null>();

  constructor(private readonly state: ProjectState) {
    this.seq = state.seq;
    this.order = state.order;
  }

  /** A live workspace with its current position, or undefined. */
  workspace(id: string): Workspace | undefined {
    const changed = this.changed.get(id);
    const workspace = changed === undefined ? this.state.workspaces.get(id)?.workspace : changed;
    return workspace === undefined || workspace === null ? undefined : { ...workspace, position: this.order.indexOf(id) };
  }

  advance(event: EventDoc): void {
    this.seq = event.seq;
    this.order = nextOrder(this.order, event);
    const workspace = workspaceOf(event);
    if (workspace !== undefined) this.changed.set(workspace.id, workspace);
    else if (event.type === 'workspace.deleted') this.changed.set((event.data as { id: string }).id, null);
  }
}

/**
 * The only write path: validate -> idempotency -> apply with version check -> seq -> store event ->
 * ack -> publish; the read model is written after the ack, coalesced (see `Projector`).
 */
export class WorkspaceService {
  readonly log: EventLog;
  private readonly projector: Projector;
  private readonly queue = new KeyedQueue();
  /** This node's fold of each project's log (least recently used first); a stale one is caught by the seq uniqueness of `_id`. */
  private readonly states = new Map<string, ProjectState>();
  private readonly projectOfWorkspace = new Map<string, string>();
  /** Pending and running writes of the read model, per project. */
  private readonly writeTimers = new Map<string, NodeJS.Timeout>();
  private readonly writing = new Map<string, Promise<void>>();
  private readonly writeFailures = new Map<string, number>();
  private stopping = false;
  private readonly models: Models;
  private readonly bus: EventBus;
  private readonly logger: Logger;
  private readonly maxReplayEvents: number;
  private readonly projectionDelayMs: number;
  private readonly isAvailable: () => boolean;

  constructor(options: WorkspaceServiceOptions) {
    this.models = options.models;
    this.bus = options.bus;
    this.logger = options.logger;
    this.maxReplayEvents = options.maxReplayEvents ?? 10_000;
    this.projectionDelayMs = options.projectionDelayMs ?? DEFAULT_PROJECTION_DELAY_MS;
    this.isAvailable = options.isAvailable ?? (() => true);
    this.log = new EventLog(this.models);
    this.projector = new Projector(this.models, this.log);
  }

  create(input: ParsedRequestData<'workspace.create'>, ctx: MutationContext): Promise<AckData<'workspace.create'>> {
    return this.mutate('workspace.create', input, ctx, () => input.projectId, (view) => {
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
      return { type: 'workspace.created', data: { workspace } };
    }) as Promise<AckData<'workspace.create'>>;
  }

  update(input: ParsedRequestData<'workspace.update'>, ctx: MutationContext): Promise<AckData<'workspace.update'>> {
    return this.mutate('workspace.update', input, ctx, () => this.projectOf(input.id), (view) => {
      const current = currentWorkspace(view, input.id, input.expectedVersion);
      const workspace: Workspace = {
        ...current,
        name: input.patch.name ?? current.name,
        data: input.patch.data ?? current.data,
        version: current.version + 1,
        updatedAt: view.now,
      };
      return { type: 'workspace.updated', data: { workspace } };
    }) as Promise<AckData<'workspace.update'>>;
  }

  delete(input: ParsedRequestData<'workspace.delete'>, ctx: MutationContext): Promise<AckData<'workspace.delete'>> {
    return this.mutate('workspace.delete', input, ctx, () => this.projectOf(input.id), (view) => {
      currentWorkspace(view, input.id, input.expectedVersion);
      return { type: 'workspace.deleted', data: { id: input.id } };
    }) as Promise<AckData<'workspace.delete'>>;
  }

  reorder(input: ParsedRequestData<'workspace.reorder'>, ctx: MutationContext): Promise<AckData<'workspace.reorder'>> {
    return this.mutate('workspace.reorder', input, ctx, () => input.projectId, (view) => {
      if (view.seq === 0) throw new ProtocolError('NOT_FOUND', `Project ${input.projectId} does not exist`);
      if (!isPermutation(input.order, view.order)) {
        throw new ProtocolError('CONFLICT', 'order is not a permutation of the project\'s workspaces', {
          details: { order: view.order },
        });
      }
      return { type: 'workspace.reordered', data: { order: input.order } };
    }) as Promise<AckData<'workspace.reorder'>>;
  }

  /** The project's workspaces in order, and the seq they reflect. */
  list(projectId: string, ctx: ReadContext = {}): Promise<AckData<'workspace.list'>> {
    return this.guard(() =>
      this.inOrder(ctx, () => projectId, () => this.queue.run(projectId, async () => {
        const state = await this.current(projectId, false);
        return { workspaces: orderedWorkspaces(state), seq: state.seq };
      })),
    );
  }

  /** Snapshot for `subscribe` without `sinceSeq`. */
  snapshot(projectId: string, ctx: ReadContext = {}): Promise<{ epoch: string; seq: number; workspaces: Workspace[] }> {
    return this.guard(() =>
      this.inOrder(ctx, () => projectId, () => this.queue.run(projectId, async () => {
        const state = await this.current(projectId, true);
        return { epoch: state.epoch!, seq: state.seq, workspaces: orderedWorkspaces(state) };
      })),
    );
  }

  /**
   * The head a `sinceSeq` replay runs up to, or `resync` when the events cannot be trusted or are too
   * many. Only this read takes the project's queue (one indexed read, like any read); the events
   * themselves are read outside it with `eventsBetween`, so a replay never holds up the writers.
   */
  replay(projectId: string, sinceSeq: number, epoch?: string, ctx: ReadContext = {}): Promise<ReplayResult> {
    return this.guard(() =>
      this.inOrder(ctx, () => projectId, () => this.queue.run(projectId, async () => {
        const state = await this.current(projectId, true);
        const head = { epoch: state.epoch!, seq: state.seq };
        if ((epoch !== undefined && epoch !== state.epoch) || sinceSeq > state.seq || state.seq - sinceSeq > this.maxReplayEvents) {
          return { ...head, resync: true as const };
        }
        return head;
      })),
    );
  }

  /**
   * Stored events in (afterSeq, uptoSeq], at most `limit` (default: the replay cap), in order: the
   * chunks of a replay, and the reads that repair a gap in delivery. Needs no queue: the log is
   * append-only.
   */
  eventsBetween(projectId: string, afterSeq: number, uptoSeq?: number, limit = this.maxReplayEvents): Promise<ServerEvent[]> {
    return this.guard(async () =>
      (await this.log.readAfter(projectId, afterSeq, Math.min(limit, this.maxReplayEvents), uptoSeq)).map(toServerEvent),
    );
  }

  /** One workspace with its position. */
  get(id: string, ctx: ReadContext = {}): Promise<Workspace> {
    return this.guard(async () => {
      const projectId = await this.projectOf(id);
      ctx.authorize?.(projectId);
      return this.queue.run(projectId, async () => {
        const state = await this.current(projectId, false);
        const entry = state.workspaces.get(id);
        if (entry === undefined) throw notFound(id);
        return { ...entry.workspace, position: state.order.indexOf(id) };
      });
    });
  }

  /**
   * Brings the read model of every project whose head lags its event log up to the log (after a
   * crash). Returns how many projects were checked.
   */
  async repairAll(): Promise<number> {
    const ids = await this.guard(() => this.log.projectIds());
    for (const projectId of ids) {
      const lagging = await this.guard(() => this.projector.lags(projectId));
      if (!lagging) continue;
      await this.guard(() => this.queue.run(projectId, () => this.current(projectId, false)));
      await this.guard(() => this.writeProjection(projectId, true));
    }
    return ids.length;
  }

  /** Writes now what the read model lacks of every project this node holds (instead of after the delay). */
  async flush(): Promise<void> {
    for (const timer of this.writeTimers.values()) clearTimeout(timer);
    this.writeTimers.clear();
    await Promise.all([...this.states.keys()].map((projectId) => this.writeProjection(projectId)));
  }

  /** Waits for queued work and writes what the read model still lacks (graceful shutdown); nothing is scheduled after it. */
  async drain(): Promise<void> {
    this.stopping = true;
    await this.queue.drain();
    await this.flush();
  }

  private mutate(
    type: string,
    input: unknown,
    ctx: MutationContext,
    findProject: () => Promise<string> | string,
    plan: (view: BatchView) => Plan,
  ): Promise<unknown> {
    const hash = requestHash(type, input);
    const key = ctx.requestId === undefined ? undefined : EventLog.requestKey(ctx.subject, ctx.requestId);
    return this.guard(() =>
      this.inOrder(ctx, () => this.resolveProject(findProject, key), (projectId) =>
        new Promise<unknown>((resolve, reject) => {
          const pending: PendingMutation = { hash, key, origin: ctx.origin, plan, resolve, reject };
          this.queue.enqueueBatch(projectId, pending, (items) => this.commitBatch(projectId, items), MAX_BATCH);
        }),
      ),
    );
  }

  /**
   * Group commit: plans every queued mutation of a project against one in-memory view, stores all
   * their events with one ordered insert, then acks and publishes them in seq order. A seq taken by
   * another node, or a key applied meanwhile, re-plans the rest on the caught-up state.
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
        this.forget(projectId);
        for (const item of remaining) item.reject(toStorageError(error));
        return;
      }
    }
  }

  /** One round of a batch; returns the mutations that must be planned again. */
  private async commitOnce(projectId: string, items: PendingMutation[]): Promise<PendingMutation[]> {
    let verified = !this.states.has(projectId);
    const state = await this.current(projectId, true, false);
    const view = new BatchView(state);
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
        if (!verified) {
          // Refused against the cached state: make sure it is the newest before answering.
          verified = true;
          if ((await this.catchUp(projectId, state)) > 0) return items;
        }
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
        createdAt: new Date(),
      };
      if (item.origin !== undefined) event.origin = item.origin;
      if (item.key !== undefined) keysInBatch.add(item.key);
      view.advance(event);
      planned.push({ item, event });
    }
    if (planned.length === 0) return later;
    const { inserted, error } = await this.log.appendMany(planned.map((p) => p.event));
    const committed = planned.slice(0, inserted);
    if (committed.length > 0) await this.finish(projectId, state, committed);
    if (error === undefined) return later;
    const rest = planned.slice(inserted).map((p) => p.item);
    if (!isDuplicateKey(error)) {
      this.forget(projectId);
      const failure = toStorageError(error);
      for (const item of rest) item.reject(failure);
      return later;
    }
    // Another node took a seq (plan again on the caught-up state), or keys were applied already: a
    // client resending what a crashed node stored retries many at once, so all are looked up together.
    const caughtUp = await this.catchUp(projectId, state);
    const applied = await Promise.all(rest.map((item) => (item.key === undefined ? null : this.log.findByKey(item.key))));
    const refused = rest[0];
    if (caughtUp === 0 && refused?.key !== undefined && applied[0] === null) {
      // The seq was free, so the key was refused: applied, but not indexed yet (a crash in between).
      applied[0] = await this.log.scanForKey(refused.key);
    }
    const again: PendingMutation[] = [];
    for (const [i, item] of rest.entries()) {
      const earlier = applied[i];
      if (earlier === null || earlier === undefined) again.push(item);
      else this.replayApplied(item, earlier);
    }
    return [...again, ...later];
  }

  /** Answers a retried request with the result it had, and announces its event again (its node may have crashed before publishing). */
  private replayApplied(item: PendingMutation, earlier: EventDoc): void {
    settle(item, () => this.replayed(earlier, item.hash));
    const wire = toServerEvent(earlier);
    setImmediate(() => this.bus.publish(wire));
  }

  /** Folds stored events into this node's state (see `Projector.fold`), then acks and publishes them in order. */
  private async finish(projectId: string, state: ProjectState, committed: { item: PendingMutation; event: EventDoc }[]): Promise<void> {
    const events = committed.map((c) => c.event);
    try {
      await this.projector.fold(state, events);
    } catch (error) {
      // The events are durable: a missing index entry or document is restored when the project is next loaded or written.
      this.logger.warn(`commit of ${projectId} up to seq ${state.seq}: ${(error as Error).message}; repaired later`);
    }
    for (const event of events) {
      if (event.type === 'workspace.created') this.rememberProject(workspaceOf(event)!.id, projectId);
    }
    for (const { item, event } of committed) item.resolve(event.data);
    this.scheduleWrite(projectId);
    const wires = events.map(toServerEvent);
    setImmediate(() => {
      for (const wire of wires) this.bus.publish(wire);
    });
  }

  /**
   * This node's state of a project: for reads (`verify`), caught up with the log first (one indexed
   * read when nothing is new); for writes, as cached, since a stale seq is refused by the log itself.
   */
  private async current(projectId: string, createLog: boolean, verify = true): Promise<ProjectState> {
    let state = this.states.get(projectId);
    if (state === undefined) {
      state = await this.projector.load(projectId);
      this.remember(projectId, state);
    } else {
      this.states.delete(projectId); // most recently used last
      this.states.set(projectId, state);
      if (verify) await this.projector.catchUp(projectId, state);
    }
    if (state.headDirty || state.dirty.size > 0) this.scheduleWrite(projectId);
    if (createLog && state.epoch === undefined) state.epoch = await this.createLog(projectId);
    return state;
  }

  /** Folds what the log holds past this node's state; the read model follows after the delay. Returns how many events. */
  private async catchUp(projectId: string, state: ProjectState): Promise<number> {
    const folded = await this.projector.catchUp(projectId, state);
    if (folded > 0) this.scheduleWrite(projectId);
    return folded;
  }

  private remember(projectId: string, state: ProjectState): void {
    this.states.set(projectId, state);
    if (this.states.size <= STATE_CACHE_SIZE) return;
    for (const [id, candidate] of this.states) {
      if (this.states.size <= STATE_CACHE_SIZE) return;
      const clean = !candidate.headDirty && candidate.dirty.size === 0 && !this.writing.has(id) && !this.queue.busy(id);
      if (clean && id !== projectId) this.states.delete(id);
    }
  }

  /** Drops this node's state of a project after a write of unknown outcome; the next use loads it again. */
  private forget(projectId: string): void {
    this.states.delete(projectId);
  }

  /** Writes the project's read model after the configured delay (once per delay, however many commits). */
  private scheduleWrite(projectId: string, delayMs = this.projectionDelayMs): void {
    if (this.stopping || this.writeTimers.has(projectId)) return;
    const timer = setTimeout(() => {
      this.writeTimers.delete(projectId);
      void this.writeProjection(projectId);
    }, delayMs);
    timer.unref();
    this.writeTimers.set(projectId, timer);
  }

  /**
   * Catches the state up with the log (so no older state than there is gets written), takes what is
   * dirty, and writes it. Failures are logged and retried later unless `throwOnError`.
   */
  private writeProjection(projectId: string, throwOnError = false): Promise<void> {
    const running = this.writing.get(projectId);
    if (running !== undefined) return running.then(() => this.writeProjection(projectId, throwOnError));
    const task = (async () => {
      const state = this.states.get(projectId);
      if (state === undefined) return;
      if (!this.isAvailable()) throw new Error('the database is unreachable');
      const snapshot = await this.queue.run(projectId, async () => {
        if (!state.headDirty && state.dirty.size === 0) return undefined;
        await this.projector.catchUp(projectId, state);
        return takeSnapshot(projectId, state);
      });
      if (snapshot === undefined) return;
      try {
        await this.projector.write(snapshot);
      } catch (error) {
        restoreSnapshot(state, snapshot);
        throw error;
      }
    })()
      .then(() => {
        this.writeFailures.delete(projectId);
      })
      .catch((error: unknown) => {
        if (throwOnError) throw error;
        // Retried with a doubling delay, so an outage costs a few attempts and log lines, not one per commit.
        const failures = (this.writeFailures.get(projectId) ?? 0) + 1;
        this.writeFailures.set(projectId, failures);
        const retryMs = Math.min(MAX_WRITE_RETRY_MS, Math.max(this.projectionDelayMs, 250) * 2 ** (failures - 1));
        this.logger.warn(`read model of ${projectId} not written yet (retry in ${retryMs} ms): ${(error as Error).message}`);
        this.scheduleWrite(projectId, retryMs);
      })
      .finally(() => {
        if (this.writing.get(projectId) === task) this.writing.delete(projectId);
      });
    this.writing.set(projectId, task);
    return task;
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

  /** Creates the project's head (and its epoch) if it has none; returns the epoch. */
  private async createLog(projectId: string): Promise<string> {
    const { Project } = this.models;
    try {
      await Project.collection.updateOne(
        { _id: projectId as never },
        { $setOnInsert: { epoch: randomUUID(), seq: 0, order: [], lastSeqs: {}, createdAt: new Date() } },
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

  private async guard<T>(task: () => Promise<T>): Promise<T> {
    if (!this.isAvailable()) throw new ProtocolError('UNAVAILABLE', 'Storage is temporarily unavailable; retry later');
    try {
      return await task();
    } catch (error) {
      throw toStorageError(error);
    }
  }
}

function orderedWorkspaces(state: ProjectState): Workspace[] {
  const out: Workspace[] = [];
  for (const id of state.order) {
    const entry = state.workspaces.get(id);
    if (entry !== undefined) out.push({ ...entry.workspace, position: out.length });
  }
  return out;
}

function currentWorkspace(view: BatchView, id: string, expectedVersion: number | undefined): Workspace {
  const workspace = view.workspace(id);
  if (workspace === undefined) throw notFound(id);
  if (expectedVersion !== undefined && expectedVersion !== workspace.version) {
    throw new ProtocolError('CONFLICT', `Workspace is at version ${workspace.version}, not ${expectedVersion}`, {
      details: { workspace },
    });
  }
  return workspace;
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

export function toServerEvent(event: EventDoc): ServerEvent {
  const wire = { type: event.type, projectId: event.projectId, seq: event.seq, data: event.data } as ServerEvent;
  if (event.origin !== undefined && event.origin !== null) wire.origin = event.origin as Origin;
  return wire;
}
