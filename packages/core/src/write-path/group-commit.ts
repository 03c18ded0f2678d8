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
  bus: EventBus;
  logger: Logger;
  announcer: UnknownOutcomeAnnouncer;
  /** Called after each commit: the read model follows after the delay. */
  onCommitted: (projectId: string) => void;
}

type Planned = { item: PendingMutation; event: EventDoc };

/**
 * Group commit: plans every queued mutation of a project against one in-memory view, stores all
 * their events with one ordered insert, then acks and publishes them in seq order. A seq taken by
 * another node, or a key applied meanwhile, re-plans the rest on the caught-up state, as often as
 * it takes (contention is not an error; the batch keeps its order, and the project's later
 * batches wait behind it).
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
    const later: PendingMutation[] = [];
    const keysInBatch = new Set<string>();
    for (const item of items) {
      if (item.key !== undefined && keysInBatch.has(item.key)) {
        later.push(item); // the same id twice in one batch: answer it once the first is stored
        continue;
      }
      const outcome = planOf(item, view);
      if ('refusal' in outcome) {
        if (!verified) {
          // Refused against the cached state: make sure it is the newest before answering.
          verified = true;
          if ((await states.catchUp(projectId, state)) > 0) return items;
        }
        // A retry of an applied request may no longer plan (its version moved on): answer it with the original.
        const earlier = item.key === undefined ? null : await log.findByKey(item.key);
        if (earlier !== null) this.replayApplied(item, earlier, answered);
        else item.reject(outcome.refusal);
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
    if (error === undefined) return later;
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
      return [...others, ...later];
    }
    if (!isDuplicateKey(error)) {
      // Unknown outcome (the connection broke, a timeout): the events may be stored. Their requests
      // get UNAVAILABLE (a retry with the same id is answered with what was applied), and whatever
      // the log holds at their seqs is announced once the database answers again.
      states.forget(projectId);
      this.options.announcer.announceAfter(projectId, state.seq, rest.length);
      const failure = toStorageError(error);
      for (const item of rest) item.reject(failure);
      return later;
    }
    // Another node took a seq (plan again on the caught-up state), or keys were applied already: a
    // client resending what a crashed node stored retries many at once, so all are looked up together.
    const caughtUp = await states.catchUp(projectId, state);
    const applied = await Promise.all(rest.map((item) => (item.key === undefined ? null : log.findByKey(item.key))));
    const refused = rest[0];
    if (caughtUp === 0 && refused?.key !== undefined && applied[0] === null) {
      // The seq was free, so the key was refused: applied, but not indexed yet (a crash in between).
      applied[0] = await log.scanForKey(refused.key);
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
      // The events are durable: a missing index entry or document is restored when the project is next loaded or written.
      logger.warn(`commit of ${projectId} up to seq ${state.seq}: ${(error as Error).message}; repaired later`);
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

/** A mutation's plan against the view; a plan that throws (a bug) refuses its own request only. */
function planOf(item: PendingMutation, view: BatchView): PlanOutcome | { refusal: unknown } {
  try {
    return item.plan(view);
  } catch (error) {
    return { refusal: error };
  }
}
