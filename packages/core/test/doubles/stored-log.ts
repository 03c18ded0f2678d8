// For checks of generated runs: the project as the database double's event log holds it, after
// each of its seqs (the one fold, `foldEvent`, over the stored events).
import { isDeepStrictEqual } from 'node:util';
import type { Workspace } from '@app/protocol';
import type { EventDoc, StoredEventDoc } from '../../src/db/models.js';
import { fromStoredEvent } from '../../src/event-log.js';
import { foldEvent } from '../../src/project-state/fold.js';
import type { WorkspaceEntry } from '../../src/project-state/project-state.js';
import type { FaultDatabase } from './fault-database.js';

/** The project after each prefix of the stored log: `states[k]` after seq k. */
export interface LogState {
  seq: number;
  order: string[];
  workspaces: Map<string, WorkspaceEntry>;
}

export function storedLog(db: FaultDatabase, projectId: string): EventDoc[] {
  return [...db.memory.collections.events.docs.values()]
    .map((doc) => fromStoredEvent(doc as unknown as StoredEventDoc))
    .filter((event): event is EventDoc => event?.projectId === projectId)
    .sort((a, b) => a.seq - b.seq);
}

export function logStates(db: FaultDatabase, projectId: string): LogState[] {
  const states: LogState[] = [{ seq: 0, order: [], workspaces: new Map() }];
  for (const [i, event] of storedLog(db, projectId).entries()) {
    if (event.seq !== i + 1) throw new Error(`the log has a gap before seq ${event.seq}`);
    const previous = states.at(-1)!;
    const next: LogState = { seq: previous.seq, order: previous.order, workspaces: new Map(previous.workspaces) };
    foldEvent(next, event!);
    states.push(next);
  }
  return states;
}

/** Equal but for `position` (which a stored state does not keep current). */
export function sameWorkspace(a: Workspace | undefined, b: Workspace | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const { position: _a, ...restA } = a;
  const { position: _b, ...restB } = b;
  return isDeepStrictEqual(restA, restB);
}
