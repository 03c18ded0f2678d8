import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import {
  ProtocolError,
  type AckData,
  type Origin,
  type ParsedRequestData,
  type ServerEvent,
  type Workspace,
} from '@app/protocol';
import type { EventBus } from './bus/event-bus.js';
import {
  databaseEpoch,
  type DirectoryDoc,
  type EventDoc,
  type Models,
  type ProjectDoc,
  type WorkspaceDoc,
} from './db/models.js';
import { isDuplicateKey, isUnavailable, toStorageError } from './db/errors.js';
import { EventLog } from './event-log.js';
import { KeyedQueue, type Sequencer } from './keyed-queue.js';
import type { Logger } from './logger.js';
import { Projector, nextOrder, restoreSnapshot, takeSnapshot, workspaceOf, type ProjectState } from './projector.js';
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
  { epoch: string; seq: number; resync: true } | { epoch: string; seq: number; resync?: undefined };

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

/**
 * How long a batch keeps planning again while other nodes take the project's next seqs first (each
 * round someone stores: the project moves on). Past it the batch is refused with UNAVAILABLE.
 */
const CONTENTION_TIMEOUT_MS = 30_000;
/** Longest random wait before a batch plans again after losing its seqs to another node many times in a row. */
const MAX_CONTENTION_BACKOFF_MS = 10;
/** Workspace ids whose project is remembered. */
const PROJECT_CACHE_SIZE = 100_000;
/** Projects whose state is kept in memory (the least recently used clean one is dropped first). */
const STATE_CACHE_SIZE = 1_000;
/** Most mutations committed together. */
const MAX_BATCH = 256;
export const DEFAULT_PROJECTION_DELAY_MS = 500;
/** Projects the start-up repair checks at once. */
const REPAIR_CONCURRENCY = 16;
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
    return workspace === undefined || workspace === null
      ? undefined
      : { ...workspace, position: this.order.indexOf(id) };
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
  /** The database's epoch, read once (see `MetaDoc`). */
  private databaseEpoch: Promise<string> | undefined;
  /** Orders read arrivals and the starts of catch-ups (see `current`). */
  private clock = 0;
  /** When the last completed catch-up of a state started. */
  private readonly caughtUpAt = new WeakMap<ProjectState, number>();
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
    return this.mutate(
      'workspace.create',
      input,
      ctx,
      () => input.projectId,
      (view) => {
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
      },
    ) as Promise<AckData<'workspace.create'>>;
  }

  update(input: ParsedRequestData<'workspace.update'>, ctx: MutationContext): Promise<AckData<'workspace.update'>> {
    return this.mutate(
      'workspace.update',
      input,
      hidingOtherProjects(ctx, input.id),
      () => this.projectOf(input.id),
      (view) => {
        const current = currentWorkspace(view, input.id, input.expectedVersion);
        const workspace: Workspace = {
          ...current,
          name: input.patch.name ?? current.name,
          data: input.patch.data ?? current.data,
          version: current.version + 1,
          updatedAt: view.now,
        };
        return { type: 'workspace.updated', data: { workspace } };
      },
    ) as Promise<AckData<'workspace.update'>>;
  }

  delete(input: ParsedRequestData<'workspace.delete'>, ctx: MutationContext): Promise<AckData<'workspace.delete'>> {
    return this.mutate(
      'workspace.delete',
      input,
      hidingOtherProjects(ctx, input.id),
      () => this.projectOf(input.id),
      (view) => {
        currentWorkspace(view, input.id, input.expectedVersion);
        return { type: 'workspace.deleted', data: { id: input.id } };
      },
    ) as Promise<AckData<'workspace.delete'>>;
  }

  reorder(input: ParsedRequestData<'workspace.reorder'>, ctx: MutationContext): Promise<AckData<'workspace.reorder'>> {
    return this.mutate(
      'workspace.reorder',
      input,
      ctx,
      () => input.projectId,
      (view) => {
        if (view.seq === 0) throw new ProtocolError('NOT_FOUND', `Project ${input.projectId} does not exist`);
        if (!isPermutation(input.order, view.order)) {
          throw new ProtocolError('CONFLICT', "order is not a permutation of the project's workspaces", {
            details: { order: view.order },
          });
        }
        return { type: 'workspace.reordered', data: { order: input.order } };
      },
    ) as Promise<AckData<'workspace.reorder'>>;
  }

  /** The project's workspaces in order, and the seq they reflect. */
  list(projectId: string, ctx: ReadContext = {}): Promise<AckData<'workspace.list'>> {
    const arrivedAt = this.arrival();
    return this.guard(() =>
      this.inOrder(
        ctx,
        () => projectId,
        () =>
          this.queue.run(projectId, async () => {
            const state = await this.current(projectId, true, arrivedAt);
            return { workspaces: orderedWorkspaces(state), seq: state.seq };
          }),
      ),
    );
  }

  /** Snapshot for `subscribe` without `sinceSeq`. */
  snapshot(projectId: string, ctx: ReadContext = {}): Promise<{ epoch: string; seq: number; workspaces: Workspace[] }> {
    const arrivedAt = this.arrival();
    return this.guard(() =>
      this.inOrder(
        ctx,
        () => projectId,
        () =>
          this.queue.run(projectId, async () => {
            const state = await this.current(projectId, true, arrivedAt);
            return {
              epoch: await this.epochOf(projectId, state),
              seq: state.seq,
              workspaces: orderedWorkspaces(state),
            };
          }),
      ),
    );
  }

  /**
   * The head a `sinceSeq` replay runs up to, or `resync` when the events cannot be trusted or are too
   * many. Only this read takes the project's queue (one indexed read, like any read); the events
   * themselves are read outside it with `eventsBetween`, so a replay never holds up the writers.
   */
  replay(projectId: string, sinceSeq: number, epoch?: string, ctx: ReadContext = {}): Promise<ReplayResult> {
    const arrivedAt = this.arrival();
    return this.guard(() =>
      this.inOrder(
        ctx,
        () => projectId,
        () =>
          this.queue.run(projectId, async () => {
            const state = await this.current(projectId, true, arrivedAt);
            const head = { epoch: await this.epochOf(projectId, state), seq: state.seq };
            if (
              (epoch !== undefined && epoch !== head.epoch) ||
              sinceSeq > state.seq ||
              state.seq - sinceSeq > this.maxReplayEvents
            ) {
              return { ...head, resync: true as const };
            }
            return head;
          }),
      ),
    );
  }

  /**
   * Stored events in (afterSeq, uptoSeq], at most `limit` (default: the replay cap), in order: the
   * chunks of a replay, and the reads that repair a gap in delivery. Needs no queue: the log is
   * append-only.
   */
  eventsBetween(
    projectId: string,
    afterSeq: number,
    uptoSeq?: number,
    limit = this.maxReplayEvents,
  ): Promise<ServerEvent[]> {
    return this.guard(async () =>
      (await this.log.readAfter(projectId, afterSeq, Math.min(limit, this.maxReplayEvents), uptoSeq)).map(
        toServerEvent,
      ),
    );
  }

  /** One workspace with its position. */
  get(id: string, ctx: ReadContext = {}): Promise<Workspace> {
    const arrivedAt = this.arrival();
    return this.guard(async () => {
      const projectId = await this.projectOf(id);
      hidingOtherProjects(ctx, id).authorize?.(projectId);
      return this.queue.run(projectId, async () => {
        const state = await this.current(projectId, true, arrivedAt);
        const entry = state.workspaces.get(id);
        if (entry === undefined) throw notFound(id);
        return { ...entry.workspace, position: state.order.indexOf(id) };
      });
    });
  }

  /**
   * Brings the read model of every project whose head lags its event log up to the log (after a
   * crash). Reads each project head once (every project with events has one: it is created before
   * the first event) and probes the log at `seq + 1` by primary key, `REPAIR_CONCURRENCY` at a time.
   * Returns how many projects were checked.
   */
  async repairAll(): Promise<number> {
    const heads = await this.guard(() =>
      this.models.Project.find({}).select({ seq: 1 }).lean<Pick<ProjectDoc, '_id' | 'seq'>[]>().exec(),
    );
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < heads.length) {
        const head = heads[next++]!;
        const projectId = head._id;
        if (!(await this.guard(() => this.projector.lags(projectId, head.seq)))) continue;
        await this.guard(() => this.queue.run(projectId, () => this.current(projectId)));
        await this.guard(() => this.writeProjection(projectId, true));
      }
    };
    await Promise.all(Array.from({ length: Math.min(REPAIR_CONCURRENCY, heads.length) }, worker));
    return heads.length;
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
      this.inOrder(
        ctx,
        () => this.resolveProject(findProject, key),
        (projectId) =>
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
   * another node, or a key applied meanwhile, re-plans the rest on the caught-up state, as often as
   * it takes (contention is not an error; the batch keeps its order, and the project's later
   * batches wait behind it).
   */
  private async commitBatch(projectId: string, items: PendingMutation[]): Promise<void> {
    let remaining = items;
    const started = Date.now();
    for (let attempt = 0; remaining.length > 0; attempt += 1) {
      if (attempt > 0 && Date.now() - started > CONTENTION_TIMEOUT_MS) {
        const refusal = new ProtocolError(
          'UNAVAILABLE',
          `Other nodes kept taking this project's next seq for ${CONTENTION_TIMEOUT_MS / 1000} s; retry`,
        );
        for (const item of remaining) item.reject(refusal);
        return;
      }
      // Lost the race for a seq several times in a row: step aside a random moment (a few ms at most,
      // so a node that keeps winning does not starve the others), then plan again on the caught-up state.
      if (attempt > 3) await delay(Math.random() * Math.min(MAX_CONTENTION_BACKOFF_MS, attempt));
      try {
        remaining = await this.commitOnce(projectId, remaining);
      } catch (error) {
        this.forget(projectId);
        for (const item of remaining) item.reject(toStorageError(error));
        return;
      }
    }
  }

  /**
   * One round of a batch; returns the mutations that must be planned again. A request id sent more
   * than once in the batch is planned once: the copies wait for the first one, and take its
   * answer when it was stored (or found applied), so a burst of one id never re-plans round after round.
   */
  private async commitOnce(projectId: string, items: PendingMutation[]): Promise<PendingMutation[]> {
    const answered = new Map<string, EventDoc>();
    const again = await this.commitRound(projectId, items, answered);
    return again.filter((item) => {
      const event = item.key === undefined ? undefined : answered.get(item.key);
      if (event === undefined) return true;
      settle(item, () => this.replayed(event, item.hash));
      return false;
    });
  }

  /** Plans and stores what it can of `items`; records in `answered` the event each key was answered with. */
  private async commitRound(
    projectId: string,
    items: PendingMutation[],
    answered: Map<string, EventDoc>,
  ): Promise<PendingMutation[]> {
    let verified = !this.states.has(projectId);
    const state = await this.current(projectId, false);
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
        if (earlier !== null) this.replayApplied(item, earlier, answered);
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
    // The log (its head and epoch) is created with the project's first event, never by a read or a refused write.
    if (state.epoch === undefined) state.epoch = await this.createLog(projectId);
    const events = planned.map((p) => p.event);
    await this.projector.storeDirectory(events); // nothing is stored yet if this fails: the batch fails whole
    const { inserted, error } = await this.log.appendMany(events);
    const committed = planned.slice(0, inserted);
    if (committed.length > 0) await this.finish(projectId, state, committed);
    for (const { item, event } of committed) if (item.key !== undefined) answered.set(item.key, event);
    if (error === undefined) return later;
    const rest = planned.slice(inserted).map((p) => p.item);
    const refusal = documentRefusal(error, inserted);
    if (refusal !== undefined && rest.length > 0) {
      // The database refused this one document (its neighbours are fine): only its request fails,
      // and the ones planned after it are planned again without it.
      const [refused, ...others] = rest;
      this.logger.warn(
        `event ${projectId}:${planned[inserted]!.event.seq} refused by the database (code ${refusal}); its request fails alone`,
      );
      refused!.reject(
        new ProtocolError('INVALID_MESSAGE', 'The database refused to store this request', {
          details: { issues: [{ path: ['data'], message: `refused by the database (code ${refusal})` }] },
        }),
      );
      return [...others, ...later];
    }
    if (!isDuplicateKey(error)) {
      // Unknown outcome (the connection broke, a timeout): the events may be stored. Their requests
      // get UNAVAILABLE (a retry with the same id is answered with what was applied), and whatever
      // the log holds past this state is announced once the database answers again.
      this.forget(projectId);
      this.announceStoredLater(projectId, state.seq);
      const failure = toStorageError(error);
      for (const item of rest) item.reject(failure);
      return later;
    }
    // Another node took a seq (plan again on the caught-up state), or keys were applied already: a
    // client resending what a crashed node stored retries many at once, so all are looked up together.
    const caughtUp = await this.catchUp(projectId, state);
    const applied = await Promise.all(
      rest.map((item) => (item.key === undefined ? null : this.log.findByKey(item.key))),
    );
    const refused = rest[0];
    if (caughtUp === 0 && refused?.key !== undefined && applied[0] === null) {
      // The seq was free, so the key was refused: applied, but not indexed yet (a crash in between).
      applied[0] = await this.log.scanForKey(refused.key);
    }
    const again: PendingMutation[] = [];
    for (const [i, item] of rest.entries()) {
      const earlier = applied[i];
      if (earlier === null || earlier === undefined) again.push(item);
      else this.replayApplied(item, earlier, answered);
    }
    return [...again, ...later];
  }

  /** Answers a retried request with the result it had, and announces its event again (its node may have crashed before publishing). */
  private replayApplied(item: PendingMutation, earlier: EventDoc, answered: Map<string, EventDoc>): void {
    if (item.key !== undefined) answered.set(item.key, earlier);
    settle(item, () => this.replayed(earlier, item.hash));
    const wire = toServerEvent(earlier);
    setImmediate(() => this.bus.publish(wire));
  }

  /**
   * After a write of unknown outcome: once the database answers again, publishes every event the log
   * holds past `afterSeq` (the bus and the rooms drop what subscribers already have), so a stored
   * event reaches subscribers without waiting for the next write, on a single node too. Retried with
   * a doubling delay while the database fails; nothing is scheduled once the service drains.
   */
  private announceStoredLater(projectId: string, afterSeq: number, failures = 0): void {
    if (this.stopping) return;
    const timer = setTimeout(
      () => {
        void (async () => {
          if (this.stopping) return;
          if (!this.isAvailable()) throw new Error('the database is unreachable');
          const events = await this.queue.run(projectId, async () => {
            const state = await this.current(projectId);
            return this.log.readAfter(projectId, afterSeq, this.maxReplayEvents, state.seq);
          });
          for (const event of events) this.bus.publish(toServerEvent(event));
        })().catch((error: unknown) => {
          this.logger.warn(
            `events of ${projectId} after seq ${afterSeq} not announced yet: ${(error as Error).message}`,
          );
          this.announceStoredLater(projectId, afterSeq, failures + 1);
        });
      },
      Math.min(MAX_WRITE_RETRY_MS, 100 * 2 ** failures),
    );
    timer.unref();
  }

  /** Folds stored events into this node's state (see `Projector.fold`), then acks and publishes them in order. */
  private async finish(
    projectId: string,
    state: ProjectState,
    committed: { item: PendingMutation; event: EventDoc }[],
  ): Promise<void> {
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
   * Writes nothing for a project without events (reads do not create projects).
   * A read that arrived (`arrivedAt`, see `arrival`) before the last catch-up of the state started
   * needs none of its own: that one already saw every event stored before the read arrived, so a
   * burst of reads of one project (a subscribe storm) costs one read of the log, not one each.
   */
  private async current(projectId: string, verify = true, arrivedAt = Number.POSITIVE_INFINITY): Promise<ProjectState> {
    let state = this.states.get(projectId);
    if (state === undefined) {
      const startedAt = this.arrival();
      state = await this.projector.load(projectId);
      this.caughtUpAt.set(state, startedAt);
      this.remember(projectId, state);
    } else {
      this.states.delete(projectId); // most recently used last
      this.states.set(projectId, state);
      if (verify && (this.caughtUpAt.get(state) ?? 0) < arrivedAt) {
        const startedAt = this.arrival();
        await this.projector.catchUp(projectId, state);
        this.caughtUpAt.set(state, startedAt);
      }
    }
    if (state.headDirty || state.dirty.size > 0) this.scheduleWrite(projectId);
    // Events another node stored since this state was loaded without a log: learn the log's epoch.
    if (state.epoch === undefined && state.seq > 0) state.epoch = await this.createLog(projectId);
    return state;
  }

  /** A tick of the clock that orders read arrivals and catch-ups. */
  private arrival(): number {
    this.clock += 1;
    return this.clock;
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
        this.logger.warn(
          `read model of ${projectId} not written yet (retry in ${retryMs} ms): ${(error as Error).message}`,
        );
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

  /**
   * The epoch a read reports: the log's; for a project without a log yet, the epoch its log will be
   * created with (derived from the database's epoch), so a subscriber from before its first event
   * resumes in it, while a new database gives the project another one.
   */
  private async epochOf(projectId: string, state: ProjectState): Promise<string> {
    return state.epoch ?? this.newLogEpoch(projectId);
  }

  private async newLogEpoch(projectId: string): Promise<string> {
    this.databaseEpoch ??= databaseEpoch(this.models).catch((error: unknown) => {
      this.databaseEpoch = undefined;
      throw error;
    });
    const hex = createHash('sha256')
      .update(`${await this.databaseEpoch}\u0000${projectId}`)
      .digest('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  }

  /** Creates the project's head (and its epoch) if it has none; returns the epoch. */
  private async createLog(projectId: string): Promise<string> {
    const { Project } = this.models;
    const epoch = await this.newLogEpoch(projectId);
    try {
      await Project.collection.updateOne(
        { _id: projectId as never },
        { $setOnInsert: { epoch, seq: 0, order: [], lastSeqs: {}, createdAt: new Date() } },
        { upsert: true },
      );
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    const project = await Project.findById(projectId).lean().exec();
    if (project === null) throw new ProtocolError('INTERNAL', 'Internal error');
    return project.epoch;
  }

  /**
   * The project of a workspace id: from memory, else from its `directory` entry (stored before the
   * event that created it) or, for workspaces created before there was one, its document.
   */
  private async projectOf(id: string): Promise<string> {
    const known = this.projectOfWorkspace.get(id);
    if (known !== undefined) return known;
    const [entry, doc] = await Promise.all([
      this.models.Directory.findById(id).lean<DirectoryDoc>().exec(),
      this.models.Workspace.findById(id)
        .select({ projectId: 1, lastSeq: 1 })
        .lean<Pick<WorkspaceDoc, 'projectId' | 'lastSeq'>>()
        .exec(),
    ]);
    const projectId = entry?.projectId ?? doc?.projectId;
    if (projectId === undefined) throw notFound(id);
    const state = this.states.get(projectId);
    if (doc !== null && state !== undefined && !state.workspaces.has(id) && doc.lastSeq <= state.seq) {
      // Deleted by a seq this node has folded, yet a document is there (a late writer on another node
      // put it back): it answers NOT_FOUND like any deleted workspace, and the next write removes it.
      state.dirty.add(id);
      this.scheduleWrite(projectId);
      return projectId;
    }
    this.rememberProject(id, projectId);
    return projectId;
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

/**
 * Write-error codes by which a server refuses one document for what it holds: BadValue (FerretDB v1's
 * "nested arrays are not supported"), TypeMismatch, field-name errors, DocumentValidationFailure,
 * document or index key too large. Others (duplicate key, stepdowns, timeouts) are not about the document.
 */
const DOCUMENT_REFUSALS: ReadonlySet<number> = new Set([2, 14, 52, 55, 56, 57, 121, 10334, 17280, 17419]);

/** The code of the write error by which the database refused the document at `index` of an ordered insert, or undefined. */
function documentRefusal(error: unknown, index: number): number | undefined {
  if (typeof error !== 'object' || error === null || isUnavailable(error)) return undefined;
  const writeErrors = (error as { writeErrors?: unknown }).writeErrors;
  const first = (Array.isArray(writeErrors) ? writeErrors[0] : writeErrors) as
    { index?: unknown; code?: unknown } | undefined;
  if (
    first === undefined ||
    first.index !== index ||
    typeof first.code !== 'number' ||
    !DOCUMENT_REFUSALS.has(first.code)
  )
    return undefined;
  return first.code;
}

function notFound(id: string): ProtocolError {
  return new ProtocolError('NOT_FOUND', `Workspace ${id} does not exist`);
}

/**
 * For requests that name a workspace by id: a workspace in a project the caller may not use is
 * answered exactly as one that does not exist (NOT_FOUND), so its id tells the caller nothing.
 */
function hidingOtherProjects<TContext extends ReadContext>(ctx: TContext, id: string): TContext {
  const { authorize } = ctx;
  if (authorize === undefined) return ctx;
  return {
    ...ctx,
    authorize(projectId: string) {
      try {
        authorize(projectId);
      } catch (error) {
        if (error instanceof ProtocolError && error.code === 'FORBIDDEN') throw notFound(id);
        throw error;
      }
    },
  };
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

/** The wire form of each stored event held in memory: one object per event, so its frame is encoded once (see ws-server's `encodeEventOnce`). */
const wireEvents = new WeakMap<EventDoc, ServerEvent>();

/** The wire form of a stored event; the same object every time for the same event (treat it as read-only). */
export function toServerEvent(event: EventDoc): ServerEvent {
  const known = wireEvents.get(event);
  if (known !== undefined) return known;
  const wire = { type: event.type, projectId: event.projectId, seq: event.seq, data: event.data } as ServerEvent;
  if (event.origin !== undefined && event.origin !== null) wire.origin = event.origin as Origin;
  wireEvents.set(event, wire);
  return wire;
}
