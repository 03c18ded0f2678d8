import type { Projector } from '../read-model/projector.js';
import { projectBytes } from './project-bytes.js';
import type { ProjectHeads } from './project-heads.js';
import type { ProjectState } from './project-state.js';

export interface StateCacheOptions {
  projector: Projector;
  heads: ProjectHeads;
  /** Most projects kept (STATE_CACHE_MAX_PROJECTS); past it the least recently used clean one is dropped. */
  maxProjects: number;
  /** Most bytes of workspaces kept (STATE_CACHE_MAX_BYTES, as projectBytes counts them), the same way. */
  maxBytes: number;
  /** Called when a project's state holds what the read model lacks: the read model follows after the delay. */
  onDirty: (projectId: string) => void;
  /** Whether the project has queued work or a running read-model write (its state is then never dropped). */
  inUse: (projectId: string) => boolean;
}

/**
 * This node's fold of each project's log, least recently used first. A stale state is harmless to a
 * write (a seq another node took is refused by the seq uniqueness of `_id`), so writes use it as
 * cached, while reads catch it up with the log first.
 */
export class StateCache {
  private readonly states = new Map<string, ProjectState>();
  /** Orders read arrivals and the starts of catch-ups (see `forRead`). */
  private clock = 0;
  /** When the last completed catch-up of a state started. */
  private readonly caughtUpAt = new WeakMap<ProjectState, number>();
  /**
   * Per state held, the bytes it was last counted at (projectBytes), and their sum. A state grows after
   * it is loaded (a commit's fold, a catch-up): each of those recounts it (`counted`), and the bound is
   * enforced again then, not only when a state is loaded.
   */
  private readonly counts = new Map<string, number>();
  private total = 0;

  constructor(private readonly options: StateCacheOptions) {}

  /** A tick of the clock that orders read arrivals and catch-ups: a read takes one when it arrives. */
  arrival(): number {
    this.clock += 1;
    return this.clock;
  }

  /**
   * The state for a read that arrived at `arrivedAt` (see `arrival`): caught up with the log first (one
   * indexed read when nothing is new). A read that arrived before the last catch-up of the state started
   * needs none of its own: that one already saw every event stored before the read arrived, so a burst
   * of reads of one project (a subscribe storm) costs one read of the log, not one each.
   */
  forRead(projectId: string, arrivedAt: number): Promise<ProjectState> {
    return this.current(projectId, arrivedAt);
  }

  /** The state caught up with everything the log holds now. */
  caughtUp(projectId: string): Promise<ProjectState> {
    return this.current(projectId, Number.POSITIVE_INFINITY);
  }

  /** The state for a write: as cached (loaded if absent), since a stale seq is refused by the log itself. */
  forWrite(projectId: string): Promise<ProjectState> {
    return this.current(projectId, undefined);
  }

  /** Folds what the log holds past the state; the read model follows after the delay. Returns how many events. */
  async catchUp(projectId: string, state: ProjectState): Promise<number> {
    const folded = await this.options.projector.catchUp(projectId, state);
    if (folded > 0) {
      this.options.onDirty(projectId);
      this.grew(projectId);
    }
    return folded;
  }

  /** Whether this node holds a state of the project. */
  has(projectId: string): boolean {
    return this.states.has(projectId);
  }

  /** The state this node holds, if any, without loading it or changing the cache's order. */
  peek(projectId: string): ProjectState | undefined {
    return this.states.get(projectId);
  }

  projectIds(): IterableIterator<string> {
    return this.states.keys();
  }

  /** Drops this node's state of a project after a write of unknown outcome; the next use loads it again. */
  forget(projectId: string): void {
    this.states.delete(projectId);
    this.total -= this.counts.get(projectId) ?? 0;
    this.counts.delete(projectId);
  }

  /**
   * Counts the project's state again after events were folded into it outside a load or a read's
   * catch-up (a commit), then drops least recently used clean states past the bounds.
   */
  grew(projectId: string): void {
    this.recount(projectId);
    this.trim(projectId);
  }

  /**
   * For a workspace document met in the database at `lastSeq`: when this node has folded the
   * workspace's delete (a late writer on another node put the document back), marks it for the next
   * read-model write to remove, and returns true.
   */
  markLeftover(projectId: string, id: string, lastSeq: number): boolean {
    const state = this.states.get(projectId);
    if (state === undefined || state.workspaces.has(id) || lastSeq > state.seq) return false;
    state.dirty.add(id);
    this.options.onDirty(projectId);
    return true;
  }

  /**
   * This node's state of a project; caught up with the log first when a read arrived (`arrivedAt`)
   * after the last catch-up started, as is for a write (`arrivedAt` undefined). Writes nothing for a
   * project without events (reads do not create projects).
   */
  private async current(projectId: string, arrivedAt: number | undefined): Promise<ProjectState> {
    const { projector, heads } = this.options;
    let state = this.states.get(projectId);
    if (state === undefined) {
      const startedAt = this.arrival();
      state = await projector.load(projectId);
      this.caughtUpAt.set(state, startedAt);
      this.states.set(projectId, state);
    } else {
      this.states.delete(projectId); // most recently used last
      this.states.set(projectId, state);
      if (arrivedAt !== undefined && (this.caughtUpAt.get(state) ?? 0) < arrivedAt) {
        const startedAt = this.arrival();
        await projector.catchUp(projectId, state);
        this.caughtUpAt.set(state, startedAt);
      }
    }
    if (state.headDirty || state.dirty.size > 0) this.options.onDirty(projectId);
    // Events another node stored since this state was loaded without a log: learn the log's epoch.
    if (state.epoch === undefined && state.seq > 0) state.epoch = await heads.createProjectHead(projectId);
    if (this.states.get(projectId) === state) this.grew(projectId);
    return state;
  }

  /** The bytes of every state held (project-bytes.ts), as last counted. */
  get bytes(): number {
    return this.total;
  }

  private recount(projectId: string): void {
    const state = this.states.get(projectId);
    if (state === undefined) return;
    const bytes = projectBytes(state);
    this.total += bytes - (this.counts.get(projectId) ?? 0);
    this.counts.set(projectId, bytes);
  }

  /**
   * Drops least recently used clean states (no unwritten read model, no queued work) until at most
   * `maxProjects` states of at most `maxBytes` together remain. States in use are never dropped, so
   * the bound can be passed while they are (until the next use of any state); `keep` stays.
   */
  private trim(keep: string): void {
    const { maxProjects, maxBytes } = this.options;
    for (const [id, candidate] of this.states) {
      if (this.states.size <= maxProjects && this.total <= maxBytes) return;
      const clean = !candidate.headDirty && candidate.dirty.size === 0 && !this.options.inUse(id);
      if (clean && id !== keep) this.forget(id);
    }
  }
}
