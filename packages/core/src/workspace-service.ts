import {
  ProtocolError,
  type AckData,
  type EventData,
  type MutationType,
  type Origin,
  type ParsedRequestData,
  type ServerEvent,
  type Workspace,
} from '@app/protocol';
import type { EventBus } from './bus/event-bus.js';
import type { MutationContext, ReadContext } from './caller-context.js';
import { hidingOtherProjects, inCallerOrder } from './caller-order.js';
import { CONFIG_DEFAULTS } from './config.js';
import type { Models } from './db/models.js';
import { toStorageError } from './db/errors.js';
import { EventLog } from './event-log.js';
import { requestHash } from './hash.js';
import { KeyedQueue } from './keyed-queue.js';
import type { Logger } from './logger.js';
import { ProjectHeads } from './project-state/project-heads.js';
import { StateCache } from './project-state/state-cache.js';
import { WorkspaceDirectory } from './project-state/workspace-directory.js';
import { ProjectionScheduler } from './read-model/projection-scheduler.js';
import { Projector } from './read-model/projector.js';
import { repairReadModel } from './read-model/repair-read-model.js';
import { GroupCommit } from './write-path/group-commit.js';
import { projectOfRequest } from './write-path/idempotency.js';
import {
  planCreate,
  planDelete,
  planReorder,
  planUpdate,
  planVideoStatus,
  type PlanOutcome,
  type PlanView,
  type ProjectLimits,
} from './write-path/plans.js';
import { RequestIndex } from './write-path/request-index.js';
import { UnknownOutcomeAnnouncer } from './write-path/unknown-outcome-announcer.js';
import { WorkspaceQueries, type ReplayResult } from './workspace-queries.js';

export type { MutationContext, ReadContext } from './caller-context.js';
export type { ReplayResult } from './workspace-queries.js';

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
  /** Caps of each project (PROJECT_MAX_WORKSPACES, PROJECT_MAX_BYTES); default the settings' defaults. */
  projectLimits?: ProjectLimits;
  /** Projects whose state this node keeps, by count and by size (STATE_CACHE_MAX_PROJECTS, STATE_CACHE_MAX_BYTES). */
  stateCache?: { maxProjects: number; maxBytes: number };
}

/** The origin of the events the video pipeline stores. */
const VIDEO_ORIGIN: Origin = { source: 'video' };

/** Most events a `sinceSeq` replay sends, unless the options say otherwise. */
const DEFAULT_MAX_REPLAY_EVENTS = 10_000;

/**
 * The only write path, and the reads that go with it: one object the apps call. A mutation runs
 * caller order (`caller-order.ts`) -> project queue -> group commit (`write-path/group-commit.ts`:
 * plan with the rules of `write-path/plans.ts`, idempotency, seq, store event) -> ack -> publish;
 * the read model is written after the ack, coalesced (`read-model/projection-scheduler.ts`).
 * Every call fails fast with UNAVAILABLE while the database is unreachable, and answers storage
 * failures as protocol errors.
 */
export class WorkspaceService {
  readonly log: EventLog;
  private readonly queue = new KeyedQueue();
  private readonly states: StateCache;
  private readonly directory: WorkspaceDirectory;
  private readonly projector: Projector;
  private readonly scheduler: ProjectionScheduler;
  private readonly announcer: UnknownOutcomeAnnouncer;
  private readonly requests: RequestIndex;
  private readonly groupCommit: GroupCommit;
  private readonly queries: WorkspaceQueries;
  private readonly models: Models;
  private readonly maxReplayEvents: number;
  private readonly isAvailable: () => boolean;
  private readonly projectLimits: ProjectLimits;

  constructor(options: WorkspaceServiceOptions) {
    const { models, bus, logger } = options;
    this.models = models;
    this.maxReplayEvents = options.maxReplayEvents ?? DEFAULT_MAX_REPLAY_EVENTS;
    this.isAvailable = options.isAvailable ?? (() => true);
    const { queue, isAvailable, maxReplayEvents } = this;
    this.log = new EventLog(models);
    const log = this.log;
    const projector = new Projector(models, log);
    const heads = new ProjectHeads(models);
    this.projector = projector;
    // The cache and the scheduler refer to each other through these callbacks (both exist before either is called).
    this.projectLimits = options.projectLimits ?? {
      maxWorkspaces: CONFIG_DEFAULTS.PROJECT_MAX_WORKSPACES,
      maxBytes: CONFIG_DEFAULTS.PROJECT_MAX_BYTES,
    };
    const states = new StateCache({
      projector,
      heads,
      maxProjects: options.stateCache?.maxProjects ?? CONFIG_DEFAULTS.STATE_CACHE_MAX_PROJECTS,
      maxBytes: options.stateCache?.maxBytes ?? CONFIG_DEFAULTS.STATE_CACHE_MAX_BYTES,
      onDirty: (projectId) => this.scheduler.schedule(projectId),
      inUse: (projectId) => this.scheduler.isWriting(projectId) || queue.busy(projectId),
    });
    this.states = states;
    this.scheduler = new ProjectionScheduler({
      projector,
      queue,
      logger,
      isAvailable,
      projectionDelayMs: options.projectionDelayMs ?? CONFIG_DEFAULTS.PROJECTION_DELAY_MS,
      stateOf: (projectId) => states.peek(projectId),
    });
    this.directory = new WorkspaceDirectory({
      models,
      markLeftover: (projectId, id, lastSeq) => states.markLeftover(projectId, id, lastSeq),
    });
    this.announcer = new UnknownOutcomeAnnouncer({
      log,
      bus,
      logger,
      isAvailable,
      maxEvents: maxReplayEvents,
    });
    this.requests = new RequestIndex(log, logger);
    this.groupCommit = new GroupCommit({
      queue,
      states,
      projector,
      directory: this.directory,
      heads,
      log,
      requests: this.requests,
      bus,
      logger,
      announcer: this.announcer,
      onCommitted: (projectId) => {
        states.grew(projectId); // the commit's fold grew the state after it was counted
        this.scheduler.schedule(projectId);
      },
    });
    this.queries = new WorkspaceQueries({ queue, states, heads, directory: this.directory, log, maxReplayEvents });
  }

  create(input: ParsedRequestData<'workspace.create'>, ctx: MutationContext): Promise<AckData<'workspace.create'>> {
    return this.mutate(
      'workspace.create',
      input,
      ctx,
      () => input.projectId,
      (view) => planCreate(input, view, this.projectLimits),
    );
  }

  update(input: ParsedRequestData<'workspace.update'>, ctx: MutationContext): Promise<AckData<'workspace.update'>> {
    return this.mutate(
      'workspace.update',
      input,
      hidingOtherProjects(ctx, input.id),
      () => this.directory.projectOf(input.id),
      (view) => planUpdate(input, view, this.projectLimits),
    );
  }

  delete(input: ParsedRequestData<'workspace.delete'>, ctx: MutationContext): Promise<AckData<'workspace.delete'>> {
    return this.mutate(
      'workspace.delete',
      input,
      hidingOtherProjects(ctx, input.id),
      () => this.directory.projectOf(input.id),
      (view) => planDelete(input, view),
    );
  }

  reorder(input: ParsedRequestData<'workspace.reorder'>, ctx: MutationContext): Promise<AckData<'workspace.reorder'>> {
    return this.mutate(
      'workspace.reorder',
      input,
      ctx,
      () => input.projectId,
      (view) => planReorder(input, view),
    );
  }

  /**
   * Stores a status of a video job as a `video.status_update` event of the workspace's project: the
   * video pipeline's sink. Refused (NOT_FOUND, CONFLICT) when it is stale or of an unknown job, see
   * `planVideoStatus`.
   */
  recordVideoStatus(
    projectId: string,
    data: EventData<'video.status_update'>,
    origin: Origin = VIDEO_ORIGIN,
  ): Promise<void> {
    return this.guard(
      () =>
        new Promise<void>((resolve, reject) => {
          this.groupCommit.enqueue(projectId, {
            hash: '',
            key: undefined,
            origin,
            plan: (view) => planVideoStatus(data, view),
            resolve: () => resolve(),
            reject,
          });
        }),
    );
  }

  /** The project's workspaces in order, and the seq they reflect. */
  list(projectId: string, ctx: ReadContext = {}): Promise<AckData<'workspace.list'>> {
    return this.guard(() => this.queries.list(projectId, ctx));
  }

  /** Snapshot for `subscribe` without `sinceSeq`. */
  snapshot(projectId: string, ctx: ReadContext = {}): Promise<{ epoch: string; seq: number; workspaces: Workspace[] }> {
    return this.guard(() => this.queries.snapshot(projectId, ctx));
  }

  /** The head a `sinceSeq` replay runs up to, or `resync` (see `WorkspaceQueries.replay`). */
  replay(projectId: string, sinceSeq: number, epoch?: string, ctx: ReadContext = {}): Promise<ReplayResult> {
    return this.guard(() => this.queries.replay(projectId, sinceSeq, epoch, ctx));
  }

  /**
   * Stored events in (afterSeq, uptoSeq], at most `limit` (default: the replay cap), in order: the
   * chunks of a replay, and the reads that repair a gap in delivery.
   */
  eventsBetween(
    projectId: string,
    afterSeq: number,
    uptoSeq?: number,
    limit = this.maxReplayEvents,
  ): Promise<ServerEvent[]> {
    return this.guard(() => this.queries.eventsBetween(projectId, afterSeq, uptoSeq, limit));
  }

  /** One workspace with its position. */
  get(id: string, ctx: ReadContext = {}): Promise<Workspace> {
    return this.guard(() => this.queries.get(id, ctx));
  }

  /** Brings the read model of every project whose head lags its log up to the log (after a crash); returns how many projects were checked. */
  repairAll(): Promise<number> {
    return repairReadModel({
      models: this.models,
      projector: this.projector,
      queue: this.queue,
      states: this.states,
      scheduler: this.scheduler,
      guard: (task) => this.guard(task),
    });
  }

  /** Writes now what the read model lacks of every project this node holds (instead of after the delay). */
  flush(): Promise<void> {
    return this.scheduler.flush(this.states.projectIds());
  }

  /** Waits for queued work and writes what the read model still lacks (graceful shutdown); nothing is scheduled after it. */
  async drain(): Promise<void> {
    this.scheduler.stop();
    this.announcer.stop();
    await this.queue.drain();
    await this.requests.close();
    await this.flush();
  }

  /** Hashes and keys a mutation, finds its project in the caller's turn, and queues it for the project's group commit. */
  private mutate<TType extends MutationType>(
    type: TType,
    input: ParsedRequestData<TType>,
    ctx: MutationContext,
    findProject: () => Promise<string> | string,
    plan: (view: PlanView) => PlanOutcome,
  ): Promise<AckData<TType>> {
    const hash = requestHash(type, input);
    const key = ctx.requestId === undefined ? undefined : EventLog.requestKey(ctx.subject, ctx.requestId);
    return this.guard(() =>
      inCallerOrder(
        ctx,
        () => projectOfRequest(findProject, key, this.requests),
        (projectId) =>
          new Promise<AckData<TType>>((resolve, reject) => {
            // The ack carries the data of the event the plan made (or, for a retry, of the one stored first).
            const answer = (data: unknown) => resolve(data as AckData<TType>);
            this.groupCommit.enqueue(projectId, { hash, key, origin: ctx.origin, plan, resolve: answer, reject });
          }),
      ),
    );
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
