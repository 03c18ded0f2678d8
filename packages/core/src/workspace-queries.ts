import type { AckData, ServerEvent, Workspace } from '@app/protocol';
import type { ReadContext } from './caller-context.js';
import { hidingOtherProjects, inCallerOrder } from './caller-order.js';
import type { EventLog } from './event-log.js';
import type { KeyedQueue } from './keyed-queue.js';
import type { ProjectHeads } from './project-state/project-heads.js';
import { orderedWorkspaces } from './project-state/project-state.js';
import type { StateCache } from './project-state/state-cache.js';
import type { WorkspaceDirectory } from './project-state/workspace-directory.js';
import { workspaceNotFound } from './refusals.js';
import { toServerEvent } from './wire-events.js';

/**
 * What a `sinceSeq` subscribe answers: `resync`, or the head up to which the caller streams the
 * events after `sinceSeq` itself (`eventsBetween`, in chunks at the pace its reader takes them).
 */
export type ReplayResult =
  { epoch: string; seq: number; resync: true } | { epoch: string; seq: number; resync?: undefined };

export interface WorkspaceQueriesOptions {
  queue: KeyedQueue;
  states: StateCache;
  heads: ProjectHeads;
  directory: WorkspaceDirectory;
  log: EventLog;
  /** Most events a `sinceSeq` replay sends before answering `resync` instead. */
  maxReplayEvents: number;
}

/**
 * The reads: each takes its place in the project's queue (behind the writes queued before it) and
 * answers from this node's state caught up with the log (see `StateCache.forRead`).
 */
export class WorkspaceQueries {
  constructor(private readonly options: WorkspaceQueriesOptions) {}

  /** The project's workspaces in order, and the seq they reflect. */
  list(projectId: string, ctx: ReadContext): Promise<AckData<'workspace.list'>> {
    const { queue, states } = this.options;
    const arrivedAt = states.arrival();
    return inCallerOrder(
      ctx,
      () => projectId,
      () =>
        queue.run(projectId, async () => {
          const state = await states.forRead(projectId, arrivedAt);
          return { workspaces: orderedWorkspaces(state), seq: state.seq };
        }),
    );
  }

  /** Snapshot for `subscribe` without `sinceSeq`. */
  snapshot(projectId: string, ctx: ReadContext): Promise<{ epoch: string; seq: number; workspaces: Workspace[] }> {
    const { queue, states, heads } = this.options;
    const arrivedAt = states.arrival();
    return inCallerOrder(
      ctx,
      () => projectId,
      () =>
        queue.run(projectId, async () => {
          const state = await states.forRead(projectId, arrivedAt);
          return {
            epoch: await heads.epochOf(projectId, state),
            seq: state.seq,
            workspaces: orderedWorkspaces(state),
          };
        }),
    );
  }

  /**
   * The head a `sinceSeq` replay runs up to, or `resync` when the events cannot be trusted or are too
   * many. Only this read takes the project's queue (one indexed read, like any read); the events
   * themselves are read outside it with `eventsBetween`, so a replay never holds up the writers.
   */
  replay(projectId: string, sinceSeq: number, epoch: string | undefined, ctx: ReadContext): Promise<ReplayResult> {
    const { queue, states, heads, maxReplayEvents } = this.options;
    const arrivedAt = states.arrival();
    return inCallerOrder(
      ctx,
      () => projectId,
      () =>
        queue.run(projectId, async () => {
          const state = await states.forRead(projectId, arrivedAt);
          const head = { epoch: await heads.epochOf(projectId, state), seq: state.seq };
          if (
            (epoch !== undefined && epoch !== head.epoch) ||
            sinceSeq > state.seq ||
            state.seq - sinceSeq > maxReplayEvents
          ) {
            return { ...head, resync: true as const };
          }
          return head;
        }),
    );
  }

  /**
   * Stored events in (afterSeq, uptoSeq], at most `limit` (never more than the replay cap), in order:
   * the chunks of a replay, and the reads that repair a gap in delivery. Needs no queue: the log is
   * append-only.
   */
  async eventsBetween(
    projectId: string,
    afterSeq: number,
    uptoSeq: number | undefined,
    limit: number,
  ): Promise<ServerEvent[]> {
    const { log, maxReplayEvents } = this.options;
    return (await log.readAfter(projectId, afterSeq, Math.min(limit, maxReplayEvents), uptoSeq)).map(toServerEvent);
  }

  /** One workspace with its position. */
  async get(id: string, ctx: ReadContext): Promise<Workspace> {
    const { queue, states, directory } = this.options;
    const arrivedAt = states.arrival();
    const projectId = await directory.projectOf(id);
    hidingOtherProjects(ctx, id).authorize?.(projectId);
    return queue.run(projectId, async () => {
      const state = await states.forRead(projectId, arrivedAt);
      const entry = state.workspaces.get(id);
      if (entry === undefined) throw workspaceNotFound(id);
      return { ...entry.workspace, position: state.order.indexOf(id) };
    });
  }
}
