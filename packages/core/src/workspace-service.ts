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
export interface MutationContext {
  /** Authenticated subject; all anonymous callers share one. */
  subject: string;
  requestId?: string | undefined;
  origin?: Origin | undefined;
  /** Keeps this caller's requests in arrival order (one per connection). */
  sequencer?: Sequencer | undefined;
}

/** For reads: only the ordering part of the context. */
export interface ReadContext {
  sequencer?: Sequencer | undefined;
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
}

type Plan = { type: ServerEvent['type']; data: Record<string, unknown>; order: string[] };

const MAX_SEQ_RETRIES = 8;

/** The only write path: validate -> idempotency -> apply with version check -> seq -> store event -> project -> publish. */
export class WorkspaceService {
  readonly log: EventLog;
  private readonly projector: Projector;
  private readonly queue = new KeyedQueue();
  /** This node's view of each project's head; a stale one is caught by the seq uniqueness of `_id`. */
  private readonly states = new Map<string, ProjectState & { epoch: string }>();
  private readonly models: Models;
  private readonly bus: EventBus;
  private readonly logger: Logger;
  private readonly maxReplayEvents: number;

  constructor(options: WorkspaceServiceOptions) {
    this.models = options.models;
    this.bus = options.bus;
    this.logger = options.logger;
    this.maxReplayEvents = options.maxReplayEvents ?? 10_000;
    this.log = new EventLog(this.models);
    this.projector = new Projector(this.models, this.log);
  }

  create(input: ParsedRequestData<'workspace.create'>, ctx: MutationContext): Promise<AckData<'workspace.create'>> {
    return this.mutate('workspace.create', input, ctx, () => input.projectId, async (state) => {
      const now = new Date().toISOString();
      const position = Math.min(input.position ?? state.order.length, state.order.length);
      const workspace: Workspace = {
        id: randomUUID(),
        projectId: input.projectId,
        name: input.name,
        position,
        version: 1,
        data: input.data ?? {},
        createdAt: now,
        updatedAt: now,
      };
      const order = [...state.order];
      order.splice(position, 0, workspace.id);
      return { type: 'workspace.created', data: { workspace }, order };
    }) as Promise<AckData<'workspace.create'>>;
  }

  update(input: ParsedRequestData<'workspace.update'>, ctx: MutationContext): Promise<AckData<'workspace.update'>> {
    return this.mutate('workspace.update', input, ctx, () => this.projectOf(input.id), async (state) => {
      const current = await this.currentWorkspace(input.id, state, input.expectedVersion);
      const workspace: Workspace = {
        ...current,
        name: input.patch.name ?? current.name,
        data: input.patch.data ?? current.data,
        version: current.version + 1,
        updatedAt: new Date().toISOString(),
      };
      return { type: 'workspace.updated', data: { workspace }, order: state.order };
    }) as Promise<AckData<'workspace.update'>>;
  }

  delete(input: ParsedRequestData<'workspace.delete'>, ctx: MutationContext): Promise<AckData<'workspace.delete'>> {
    return this.mutate('workspace.delete', input, ctx, () => this.projectOf(input.id), async (state) => {
      await this.currentWorkspace(input.id, state, input.expectedVersion);
      return { type: 'workspace.deleted', data: { id: input.id }, order: state.order.filter((id) => id !== input.id) };
    }) as Promise<AckData<'workspace.delete'>>;
  }

  reorder(input: ParsedRequestData<'workspace.reorder'>, ctx: MutationContext): Promise<AckData<'workspace.reorder'>> {
    return this.mutate('workspace.reorder', input, ctx, () => input.projectId, async (state) => {
      if (state.seq === 0) throw new ProtocolError('NOT_FOUND', `Project ${input.projectId} does not exist`);
      if (!isPermutation(input.order, state.order)) {
        throw new ProtocolError('CONFLICT', 'order is not a permutation of the project\'s workspaces', {
          details: { order: state.order },
        });
      }
      return { type: 'workspace.reordered', data: { order: input.order }, order: input.order };
    }) as Promise<AckData<'workspace.reorder'>>;
  }

  /** The project's workspaces in order, and the seq they reflect. */
  list(projectId: string, ctx: ReadContext = {}): Promise<AckData<'workspace.list'>> {
    return this.guard(() =>
      this.inOrder(ctx, () => projectId, async () => {
        const state = await this.freshState(projectId, false);
        return { workspaces: await this.orderedWorkspaces(projectId, state.order), seq: state.seq };
      }),
    );
  }

  /** Snapshot for `subscribe` without `sinceSeq`. */
  snapshot(projectId: string, ctx: ReadContext = {}): Promise<{ epoch: string; seq: number; workspaces: Workspace[] }> {
    return this.guard(() =>
      this.inOrder(ctx, () => projectId, async () => {
        const state = await this.freshState(projectId, true);
        return { epoch: state.epoch, seq: state.seq, workspaces: await this.orderedWorkspaces(projectId, state.order) };
      }),
    );
  }

  /** Events after `sinceSeq` for `subscribe` with `sinceSeq`, or `resync` when they cannot be trusted or are too many. */
  replay(projectId: string, sinceSeq: number, epoch?: string, ctx: ReadContext = {}): Promise<ReplayResult> {
    return this.guard(() =>
      this.inOrder(ctx, () => projectId, async () => {
        const state = await this.freshState(projectId, true);
        const head = { epoch: state.epoch, seq: state.seq };
        if ((epoch !== undefined && epoch !== state.epoch) || sinceSeq > state.seq || state.seq - sinceSeq > this.maxReplayEvents) {
          return { ...head, resync: true as const };
        }
        const events = await this.log.readAfter(projectId, sinceSeq, this.maxReplayEvents, state.seq);
        return { ...head, events: events.map(toServerEvent) };
      }),
    );
  }

  /** Stored events in (afterSeq, uptoSeq], to repair a gap in delivery. */
  eventsBetween(projectId: string, afterSeq: number, uptoSeq?: number): Promise<ServerEvent[]> {
    return this.guard(async () =>
      (await this.log.readAfter(projectId, afterSeq, this.maxReplayEvents, uptoSeq)).map(toServerEvent),
    );
  }

  /** One workspace with its position. */
  get(id: string): Promise<Workspace> {
    return this.guard(async () => {
      const doc = await this.models.Workspace.findById(id).lean<WorkspaceDoc>().exec();
      if (doc === null) throw notFound(id);
      return this.queue.run(doc.projectId, async () => {
        const state = await this.freshState(doc.projectId, false);
        const position = state.order.indexOf(id);
        const fresh = await this.models.Workspace.findById(id).lean<WorkspaceDoc>().exec();
        if (fresh === null || position < 0) throw notFound(id);
        return toWorkspace(fresh, position);
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

  private async mutate(
    type: string,
    input: unknown,
    ctx: MutationContext,
    findProject: () => Promise<string> | string,
    plan: (state: ProjectState & { epoch: string }) => Promise<Plan>,
  ): Promise<unknown> {
    const hash = requestHash(type, input);
    const key = ctx.requestId === undefined ? undefined : EventLog.requestKey(ctx.subject, ctx.requestId);
    return this.guard(() =>
      this.inOrder(ctx, () => this.resolveProject(findProject, key), async (projectId) => {
        if (key !== undefined) {
          const previous = await this.log.findByKey(key);
          if (previous !== null) return this.replayed(previous, hash);
        }
        for (let attempt = 0; attempt < MAX_SEQ_RETRIES; attempt += 1) {
          const cached = this.states.get(projectId);
          const state = cached ?? (await this.freshState(projectId, true));
          let next: Plan;
          try {
            next = await plan(state);
          } catch (error) {
            // A refusal based on this node's cached head could be stale (another node wrote): re-check once.
            if (cached === undefined) throw error;
            this.states.delete(projectId);
            continue;
          }
          const seq = state.seq + 1;
          const event: EventDoc = {
            _id: EventLog.eventId(projectId, seq),
            projectId,
            seq,
            key: key ?? `~${projectId}:${seq}`,
            requestHash: hash,
            type: next.type,
            data: next.data,
            order: next.order,
            createdAt: new Date(),
          };
          if (ctx.origin !== undefined) event.origin = ctx.origin;
          try {
            await this.log.append(event);
          } catch (error) {
            this.states.delete(projectId);
            if (!isDuplicateKey(error)) throw error;
            const previous = key === undefined ? null : await this.log.findByKey(key);
            if (previous !== null) return this.replayed(previous, hash);
            continue; // another node took this seq: reload and re-check
          }
          await this.projectAfterAppend(event, state);
          const wire = toServerEvent(event);
          setImmediate(() => this.bus.publish(wire));
          return event.data;
        }
        throw new ProtocolError('UNAVAILABLE', 'Too much contention on this project; retry');
      }),
    );
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
    task: (projectId: string) => Promise<T>,
  ): Promise<T> {
    if (ctx.sequencer === undefined) {
      const projectId = await findProject();
      return this.queue.run(projectId, () => task(projectId));
    }
    const turn = ctx.sequencer.turn();
    let queued: Promise<T>;
    try {
      await turn.ready;
      const projectId = await findProject();
      queued = this.queue.run(projectId, () => task(projectId));
    } finally {
      turn.release();
    }
    return queued;
  }

  private async projectAfterAppend(event: EventDoc, state: ProjectState): Promise<void> {
    try {
      await this.projector.apply(event);
      state.seq = event.seq;
      state.order = event.order;
    } catch (error) {
      // The event is durable; the projection is repaired by the next catch-up.
      this.states.delete(event.projectId);
      this.logger.warn(`projection of ${event._id} deferred: ${(error as Error).message}`);
    }
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
    const doc = await this.models.Workspace.findById(id).select({ projectId: 1 }).lean<Pick<WorkspaceDoc, 'projectId'>>().exec();
    if (doc === null) throw notFound(id);
    return doc.projectId;
  }

  private async currentWorkspace(id: string, state: ProjectState, expectedVersion: number | undefined): Promise<Workspace> {
    const position = state.order.indexOf(id);
    const doc = position < 0 ? null : await this.models.Workspace.findById(id).lean<WorkspaceDoc>().exec();
    if (doc === null) throw notFound(id);
    const workspace = toWorkspace(doc, position);
    if (expectedVersion !== undefined && expectedVersion !== workspace.version) {
      throw new ProtocolError('CONFLICT', `Workspace is at version ${workspace.version}, not ${expectedVersion}`, {
        details: { workspace },
      });
    }
    return workspace;
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
    try {
      return await task();
    } catch (error) {
      throw toStorageError(error);
    }
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
