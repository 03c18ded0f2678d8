import { ProtocolError } from '@app/protocol';
import type { EventBus } from '../bus/event-bus.js';
import { documentRefusal } from '../db/document-refusal.js';
import { isDuplicateKey, toStorageError } from '../db/errors.js';
import type { EventDoc } from '../db/models.js';
import { EventLog } from '../event-log.js';
import type { KeyedQueue } from '../keyed-queue.js';
import type { Logger } from '../logger.js';
import { workspaceOf } from '../project-state/fold.js';
import type { ProjectHeads } from '../project-state/project-heads.js';
import type { ProjectState } from '../project-state/project-state.js';
import type { StateCache } from '../project-state/state-cache.js';
import type { WorkspaceDirectory } from '../project-state/workspace-directory.js';
import type { Projector } from '../read-model/projector.js';
import { toServerEvent } from '../wire-events.js';
import { BatchView } from './batch-view.js';
import { commitDespiteContention } from './contention.js';
import { answerOfApplied } from './idempotency.js';
import { settle, type PendingMutation } from './pending-mutation.js';
import type { PlanOutcome } from './plans.js';
import type { RequestIndex } from './request-index.js';
import type { UnknownOutcomeAnnouncer } from './unknown-outcome-announcer.js';

/** Most mutations committed together. */
const MAX_BATCH = 256;

export interface GroupCommitOptions {
  queue: KeyedQueue;
  states: StateCache;
  projector: Projector;
  directory: WorkspaceDirectory;
  heads: ProjectHeads;
  log: EventLog;
  /** Where retried request ids are found, and index entries that failed are written again. */
  requests: RequestIndex;
  bus: EventBus;
  logger: Logger;
  announcer: UnknownOutcomeAnnouncer;
  /** Called after each commit: the read model follows after the delay. */
  onCommitted: (projectId: string) => void;
}

type Planned = { item: PendingMutation; event: EventDoc };
/**
 * A refusal planned against a view that held `after` events of its own batch not stored yet: it
 * stands only once those are stored, and the request is planned again when they are not
 * (docs/decisions/0011-refusals-only-from-stored-events.md).
 */
type Deferred = { item: PendingMutation; refusal: unknown; after: number };

/**
 * Group commit: plans every queued mutation of a project against one in-memory view, stores all
 * their events with one ordered insert, then acks and publishes them in seq order. A seq taken by
 * another node, or a key applied meanwhile, re-plans the rest on the caught-up state, as often as
 * it takes (contention is not an error; the batch keeps its order, and the project's later
 * batches wait behind it). A refusal is answered only from stored events: one planned behind
 * events of its batch waits until they are stored, and is planned again when they are not.
 */
export class GroupCommit {
  constructor(private readonly options: GroupCommitOptions) {}

  /** Queues a mutation into the project's open batch (or a new one behind everything queued so far). */
  enqueue(projectId: string, mutation: PendingMutation): void {
    this.options.queue.enqueueBatch(projectId, mutation, (items) => this.commitBatch(projectId, items), MAX_BATCH);
  }

  private commitBatch(projectId: string, items: PendingMutation[]): Promise<void> {
    return commitDespiteContention(
      items,
      (remaining) => this.commitOnce(projectId, remaining),
      (error, remaining) => {
        this.options.states.forget(projectId);
        for (const item of remaining) item.reject(toStorageError(error));
      },
    );
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
      settle(item, () => answerOfApplied(event, item.hash));
      return false;
    });
  }

  /** Plans and stores what it can of `items`; records in `answered` the event each key was answered with. */
  private async commitRound(
    projectId: string,
    items: PendingMutation[],
    answered: Map<string, EventDoc>,
  ): Promise<PendingMutation[]> {
    const { states, heads, directory, log, logger } = this.options;
    let verified = !states.has(projectId);
    const state = await states.forWrite(projectId);
    const view = new BatchView(state);
    const planned: Planned[] = [];
    const deferred: Deferred[] = [];
    const later: PendingMutation[] = [];
    const keysInBatch = new Set<string>();
    for (const item of items) {
      if (item.key !== undefined && keysInBatch.has(item.key)) {
        later.push(item); // the same id twice in one batch: answer it once the first is stored
        continue;
      }
      const outcome = planOf(item, view);
      if ('refusal' in outcome) {
        if (planned.length > 0) {
          // Derived from events of this batch that are not stored yet: it waits for them.
          deferred.push({ item, refusal: outcome.refusal, after: planned.length });
          continue;
        }
        if (!verified) {
          // Refused against the cached state: make sure it is the newest before answering.
          verified = true;
          if ((await states.catchUp(projectId, state)) > 0) return items;
        }
        await this.refuse(item, outcome.refusal, answered);
        continue;
      }
      const seq = view.seq + 1;
      const event: EventDoc = {
        _id: EventLog.eventId(projectId, seq),
        projectId,
        seq,
        key: item.key ?? `~${projectId}:${seq}`,
        requestHash: item.hash,
        type: outcome.event.type,
        data: outcome.event.data,
        createdAt: new Date(),
      };
      if (item.origin !== undefined) event.origin = item.origin;
      if (item.key !== undefined) keysInBatch.add(item.key);
      view.advance(event);
      planned.push({ item, event });
    }
    if (planned.length === 0) return later;
    // The log (its head and epoch) is created with the project's first event, never by a read or a refused write.
    if (state.epoch === undefined) state.epoch = await heads.createProjectHead(projectId);
    const events = planned.map((p) => p.event);
    await directory.recordCreated(events); // nothing is stored yet if this fails: the batch fails whole
    const { inserted, error } = await log.appendMany(events);
    const committed = planned.slice(0, inserted);
    if (committed.length > 0) await this.finish(projectId, state, committed);
    for (const { item, event } of committed) if (item.key !== undefined) answered.set(item.key, event);
    // A refusal behind stored events stands (the view it saw is a state the log went through); one
    // behind an event that was not stored is planned again, in its place in the batch.
    const replanned: PendingMutation[] = [];
    for (const { item, refusal, after } of deferred) {
      if (after <= inserted) await this.refuse(item, refusal, answered);
      else replanned.push(item);
    }
    const again = (...lists: PendingMutation[][]): PendingMutation[] => inBatchOrder(items, lists.flat());
    if (error === undefined) return again(later);
    const rest = planned.slice(inserted).map((p) => p.item);
    const refusal = documentRefusal(error, inserted);
    if (refusal !== undefined && rest.length > 0) {
      // The database refused this one document (its neighbours are fine): only its request fails,
      // and the ones planned after it are planned again without it.
      const [refused, ...others] = rest;
      logger.warn(
        `event ${projectId}:${planned[inserted]!.event.seq} refused by the database (code ${refusal}); its request fails alone`,
      );
      refused!.reject(
        new ProtocolError('INVALID_MESSAGE', 'The database refused to store this request', {
          details: { issues: [{ path: ['data'], message: `refused by the database (code ${refusal})` }] },
        }),
      );
      return again(others, replanned, later);
    }
    if (!isDuplicateKey(error)) {
      // Unknown outcome (the connection broke, a timeout): the events may be stored. Their requests
      // get UNAVAILABLE (a retry with the same id is answered with what was applied), and whatever
      // the log holds at their seqs is announced once the database answers again. The refusals
      // behind them are planned again on the state as stored.
      states.forget(projectId);
      this.options.announcer.announceAfter(projectId, state.seq, rest.length);
      const failure = toStorageError(error);
      for (const item of rest) item.reject(failure);
      return again(replanned, later);
    }
    // Another node took a seq (plan again on the caught-up state), or keys were applied already: a
    // client resending what a crashed node stored retries many at once, so all are looked up together.
    const caughtUp = await states.catchUp(projectId, state);
    const applied = await Promise.all(
      rest.map((item) => (item.key === undefined ? null : this.options.requests.findByKey(item.key))),
    );
    const first = rest[0];
    if (caughtUp === 0 && first?.key !== undefined && applied[0] === null) {
      // The seq was free, so the key was refused: applied, but not indexed yet (a crash in between).
      applied[0] = await log.scanForKey(first.key);
    }
    const unapplied: PendingMutation[] = [];
    for (const [i, item] of rest.entries()) {
      const earlier = applied[i];
      if (earlier === null || earlier === undefined) unapplied.push(item);
      else this.replayApplied(item, earlier, answered);
    }
    return again(unapplied, replanned, later);
  }

  /** Answers a refusal planned against stored events; a retry of an applied request gets its original answer instead. */
  private async refuse(item: PendingMutation, refusal: unknown, answered: Map<string, EventDoc>): Promise<void> {
    // A retry of an applied request may no longer plan (its version moved on): answer it with the original.
    const earlier = item.key === undefined ? null : await this.options.requests.findByKey(item.key);
    if (earlier !== null) this.replayApplied(item, earlier, answered);
    else item.reject(refusal);
  }

  /** Answers a retried request with the result it had, and announces its event again (its node may have crashed before publishing). */
  private replayApplied(item: PendingMutation, earlier: EventDoc, answered: Map<string, EventDoc>): void {
    if (item.key !== undefined) answered.set(item.key, earlier);
    settle(item, () => answerOfApplied(earlier, item.hash));
    const wire = toServerEvent(earlier);
    setImmediate(() => this.options.bus.publish(wire));
  }

  /** Folds stored events into this node's state (see `Projector.fold`), then acks and publishes them in order. */
  private async finish(projectId: string, state: ProjectState, committed: Planned[]): Promise<void> {
    const { projector, directory, logger, bus } = this.options;
    const events = committed.map((c) => c.event);
    try {
      await projector.fold(state, events);
    } catch (error) {
      // The events are durable: their request ids are indexed again until that succeeds (found meanwhile
      // by `requests`), and the documents of workspaces they created are written with the read model.
      this.options.requests.repair(events);
      logger.warn(`commit of ${projectId} up to seq ${state.seq}: ${(error as Error).message}; indexed again later`);
    }
    for (const event of events) {
      if (event.type === 'workspace.created') directory.remember(workspaceOf(event)!.id, projectId);
    }
    for (const { item, event } of committed) item.resolve(event.data);
    this.options.onCommitted(projectId);
    const wires = events.map(toServerEvent);
    setImmediate(() => {
      for (const wire of wires) bus.publish(wire);
    });
  }
}

/** The `chosen` items in the order they have in `items`. */
function inBatchOrder(items: PendingMutation[], chosen: PendingMutation[]): PendingMutation[] {
  if (chosen.length <= 1) return chosen;
  const set = new Set(chosen);
  return items.filter((item) => set.has(item));
}

/** A mutation's plan against the view; a plan that throws (a bug) refuses its own request only. */
function planOf(item: PendingMutation, view: BatchView): PlanOutcome | { refusal: unknown } {
  try {
    return item.plan(view);
  } catch (error) {
    return { refusal: error };
  }
}
