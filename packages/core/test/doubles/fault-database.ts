// For generated fault runs: a `MemoryDatabase` shared by several nodes, each command of which is
// scheduled by fast-check's scheduler (so the run decides the order in which commands reach the
// data and their replies come back) and meets the next fault of its collection's generated list.
import type fc from 'fast-check';
import type { Models } from '../../src/db/models.js';
import type { ManualClock } from './manual-clock.js';
import { MemoryDatabase, type Command, type Gate } from './memory-models.js';

/**
 * What happens to one command. `fail`: never reaches the data, the caller hears a network error.
 * `lose`: reaches the data, its reply is lost (network error). `refuse`/`refuse-last`: an insert of
 * events has its first/last document refused by the database. `pause`: the node pauses before the
 * reply (its timers fire first). `ok`: delivered (in the order the scheduler picks).
 */
export type Fault = 'ok' | 'fail' | 'lose' | 'refuse' | 'refuse-last' | 'pause';

/** How long a `pause` holds the node. */
const PAUSE_MS = 2_500;

export class FaultDatabase {
  readonly memory: MemoryDatabase;
  /** Reads of events without read concern `majority` while the database is a replica set (a failover could roll them back). */
  readonly unsafeEventReads: string[] = [];
  /** Faults met so far (a refusal of UNAVAILABLE or INVALID_MESSAGE needs one during its request). */
  faultsMet = 0;
  /** While false, every command is delivered and no fault is used up (setting up, checking at the end). */
  armed = true;
  /** Faults used up, per collection. */
  private readonly used = new Map<string, number>();

  /** `faults`: per collection, the fate of each of its commands in turn (past the list's end: `ok`). */
  constructor(
    private readonly scheduler: fc.Scheduler,
    private readonly faults: Readonly<Record<string, readonly Fault[]>>,
    private readonly clock: ManualClock,
    /** The replica set the database belongs to (null: a standalone server, as FerretDB is). */
    setName: string | null = null,
  ) {
    this.memory = new MemoryDatabase(setName);
  }

  /** The models of a node named `node`. */
  models(node: string): Models {
    return this.memory.models(this.gate(node));
  }

  private gate(node: string): Gate {
    return async <T>(command: Command, apply: () => T): Promise<T> => {
      const used = this.used.get(command.collection) ?? 0;
      const fault = this.armed ? (this.faults[command.collection]?.[used] ?? 'ok') : 'ok';
      if (this.armed) this.used.set(command.collection, used + 1);
      const label = `${node} ${command.kind} ${command.collection}${fault === 'ok' ? '' : ` (${fault})`}`;
      const eventRead = command.kind === 'read' && command.collection === 'events';
      if (eventRead && this.memory.setName !== null && command.readConcern !== 'majority')
        this.unsafeEventReads.push(`${node} read events with read concern ${command.readConcern ?? 'default'}`);
      await this.scheduler.schedule(Promise.resolve(), label);
      const isEventInsert = command.kind === 'insertMany' && command.collection === 'events';
      switch (fault) {
        case 'fail':
          this.faultsMet += 1;
          throw networkError();
        case 'lose':
          this.faultsMet += 1;
          try {
            apply();
          } catch {
            // whatever the database answered, the caller never hears it
          }
          throw networkError();
        case 'refuse':
        case 'refuse-last':
          if (!isEventInsert) return apply();
          this.faultsMet += 1;
          this.memory.refuseNextEventAt = fault === 'refuse' ? 0 : (command.count ?? 1) - 1;
          return apply();
        case 'pause':
          this.faultsMet += 1;
          this.clock.advance(PAUSE_MS);
          return apply();
        default:
          return apply();
      }
    };
  }
}

function networkError(): Error {
  const error = new Error('connection 7 to 127.0.0.1:27017 closed');
  error.name = 'MongoNetworkError';
  return error;
}
