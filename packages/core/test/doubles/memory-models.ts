// For generated fault runs only (on top of the tests against the real database): the `Models` of
// `src/db/models.ts` held in memory, with the part of the mongoose surface the server uses. Every
// command goes through a `Gate`, which decides when it reaches the data, and what its caller hears.
import type { Models } from '../../src/db/models.js';

export type Doc = Record<string, unknown> & { _id: string };

/** One command as the gate sees it. */
export interface Command {
  collection: string;
  kind: 'read' | 'insertMany' | 'updateOne' | 'bulkWrite';
  /** Documents of an `insertMany`. */
  count?: number;
  /** The read concern level a read asked for (none: the server's default). */
  readConcern?: string;
}

/**
 * Decides a command's fate: runs `apply` (the command reaching the data) at a moment of its choosing
 * or never, and resolves or rejects the caller as it likes (a reply lost after `apply`, say).
 */
export type Gate = <T>(command: Command, apply: () => T) => Promise<T>;

/** Thrown by `apply` of an ordered insert that stopped at a document (duplicate key or refused). */
export class WriteStopped extends Error {
  constructor(
    readonly code: number,
    readonly writeErrors: { index: number; code: number }[],
    readonly insertedCount: number,
  ) {
    super(`E${code} at document ${writeErrors[0]?.index ?? 0}`);
  }
}

/** The documents of one collection, with the fields besides `_id` that are unique. */
export class MemoryCollection {
  readonly docs = new Map<string, Doc>();

  constructor(
    readonly name: string,
    private readonly uniqueFields: readonly string[] = [],
  ) {}

  /** Inserts in order; throws `WriteStopped` (E11000) at the first clash when ordered, after all when not. */
  insertMany(docs: Doc[], ordered: boolean, refuseAt?: number): number {
    const errors: { index: number; code: number }[] = [];
    let inserted = 0;
    for (const [index, doc] of docs.entries()) {
      const code = index === refuseAt ? 2 : this.clashes(doc) ? 11000 : undefined;
      if (code !== undefined) {
        errors.push({ index, code });
        if (ordered) break;
        continue;
      }
      this.docs.set(doc._id, structuredClone(doc));
      inserted += 1;
    }
    if (errors.length > 0) throw new WriteStopped(errors[0]!.code, errors, inserted);
    return inserted;
  }

  find(filter: Record<string, unknown>): Doc[] {
    return [...this.docs.values()].filter((doc) => matches(doc, filter)).map((doc) => structuredClone(doc));
  }

  updateOne(filter: Record<string, unknown>, update: Record<string, Record<string, unknown>>, upsert: boolean): void {
    const found = [...this.docs.values()].find((doc) => matches(doc, filter));
    if (found !== undefined) {
      Object.assign(found, structuredClone(update.$set ?? {}));
      return;
    }
    if (!upsert) return;
    const doc = { ...filter, ...structuredClone(update.$setOnInsert ?? {}), ...structuredClone(update.$set ?? {}) };
    this.insertMany([doc as Doc], true);
  }

  deleteOne(filter: Record<string, unknown>): void {
    const found = [...this.docs.values()].find((doc) => matches(doc, filter));
    if (found !== undefined) this.docs.delete(found._id);
  }

  private clashes(doc: Doc): boolean {
    if (this.docs.has(doc._id)) return true;
    return this.uniqueFields.some((field) => [...this.docs.values()].some((other) => other[field] === doc[field]));
  }
}

/** Equality, `$in` and range filters on top-level fields: what the server's queries use. */
function matches(doc: Doc, filter: Record<string, unknown>): boolean {
  return Object.entries(filter).every(([field, condition]) => {
    const value = doc[field];
    if (condition === null || typeof condition !== 'object' || Array.isArray(condition)) return value === condition;
    return Object.entries(condition as Record<string, unknown>).every(([op, operand]) => {
      switch (op) {
        case '$in':
          return (operand as unknown[]).includes(value);
        case '$gt':
          return (value as number) > (operand as number);
        case '$gte':
          return (value as number) >= (operand as number);
        case '$lt':
          return (value as number) < (operand as number);
        case '$lte':
          return (value as number) <= (operand as number);
        case '$eq':
          return value === operand;
        default:
          throw new Error(`memory models: unsupported filter ${op}`);
      }
    });
  });
}

/** The read concern levels a query may name (the double holds one copy: every level reads the same data). */
const READ_CONCERNS = new Set(['local', 'available', 'majority', 'linearizable', 'snapshot']);

/** A mongoose query, enough of one: `lean`, `select`, `sort`, `limit`, `batchSize`, `readConcern`, `exec`. */
class MemoryQuery<T> {
  private sortBy: Record<string, 1 | -1> | undefined;
  private max: number | undefined;
  private level: string | undefined;

  constructor(
    private readonly gate: Gate,
    private readonly collection: MemoryCollection,
    private readonly filter: Record<string, unknown>,
    private readonly one: boolean,
  ) {}

  lean(): this {
    return this;
  }
  select(): this {
    return this;
  }
  sort(by: Record<string, 1 | -1>): this {
    this.sortBy = by;
    return this;
  }
  limit(max: number): this {
    this.max = max;
    return this;
  }
  /** How many documents each reply of the cursor holds: the whole answer is the same. */
  batchSize(size: number): this {
    if (!Number.isInteger(size) || size < 0) throw new Error(`memory models: batchSize ${size}`);
    return this;
  }
  readConcern(level: string): this {
    if (!READ_CONCERNS.has(level)) throw new Error(`memory models: unsupported read concern ${level}`);
    this.level = level;
    return this;
  }

  exec(): Promise<T> {
    const command: Command = { collection: this.collection.name, kind: 'read' };
    if (this.level !== undefined) command.readConcern = this.level;
    return this.gate(command, () => {
      let docs = this.collection.find(this.filter);
      const [field, direction] = Object.entries(this.sortBy ?? {})[0] ?? [];
      if (field !== undefined)
        docs.sort((a, b) => ((a[field] as number) - (b[field] as number)) * (direction as number));
      if (this.max !== undefined && this.max > 0) docs = docs.slice(0, this.max);
      return (this.one ? (docs[0] ?? null) : docs) as T;
    });
  }

  then<R1, R2>(resolve: (value: T) => R1, reject?: (error: unknown) => R2): Promise<R1 | R2> {
    return this.exec().then(resolve, reject);
  }
}

/**
 * The part of a mongoose `Connection` the server reads without sending a command: the driver's view
 * of the deployment (`db/read-concern.ts`), one server, naming `setName` when it is a replica set member.
 */
function memoryConnection(setName: string | null): unknown {
  const servers = new Map([['127.0.0.1:27017', { setName }]]);
  return { getClient: () => ({ topology: { description: { servers } } }) };
}

/** One model: the static queries, `db` (its connection), and `collection` for the driver-level writes. */
function memoryModel(
  gate: Gate,
  collection: MemoryCollection,
  refuseAt: () => number | undefined,
  connection: unknown,
): unknown {
  const insertMany = (docs: Doc[], options: { ordered?: boolean } = {}) =>
    gate({ collection: collection.name, kind: 'insertMany', count: docs.length }, () => ({
      insertedCount: collection.insertMany(docs, options.ordered ?? true, refuseAt()),
    }));
  return {
    db: connection,
    findById: (id: string) => new MemoryQuery(gate, collection, { _id: id }, true),
    findOne: (filter: Record<string, unknown> = {}) => new MemoryQuery(gate, collection, filter, true),
    find: (filter: Record<string, unknown> = {}) => new MemoryQuery(gate, collection, filter, false),
    collection: {
      insertMany,
      insertOne: (doc: Doc) => insertMany([doc]),
      updateOne: (filter: Record<string, unknown>, update: Record<string, Record<string, unknown>>, options = {}) =>
        gate({ collection: collection.name, kind: 'updateOne' }, () => {
          collection.updateOne(filter, update, (options as { upsert?: boolean }).upsert === true);
          return { acknowledged: true };
        }),
      bulkWrite: (
        operations: Record<string, { filter: Record<string, unknown>; update?: never; upsert?: boolean }>[],
      ) =>
        gate({ collection: collection.name, kind: 'bulkWrite' }, () => {
          for (const operation of operations) {
            if (operation.updateOne !== undefined) {
              const { filter, update, upsert } = operation.updateOne;
              collection.updateOne(filter, update ?? {}, upsert === true);
            } else if (operation.deleteOne !== undefined) {
              collection.deleteOne(operation.deleteOne.filter);
            }
          }
          return { acknowledged: true };
        }),
    },
  };
}

/** The collections of one database, shared by every node that uses it. */
export class MemoryDatabase {
  readonly collections = {
    projects: new MemoryCollection('projects'),
    workspaces: new MemoryCollection('workspaces'),
    events: new MemoryCollection('events', ['key']),
    requests: new MemoryCollection('requests'),
    directory: new MemoryCollection('directory'),
    meta: new MemoryCollection('meta'),
  };
  /** Set by a fault: the index at which the next ordered insert of events is refused by the database. */
  refuseNextEventAt: number | undefined;

  /** `setName`: the replica set the database's one server belongs to (null: a standalone server). */
  constructor(readonly setName: string | null = null) {}

  /** The models of one node, whose commands pass through `gate`. */
  models(gate: Gate): Models {
    const { collections: c } = this;
    const none = () => undefined;
    const connection = memoryConnection(this.setName);
    const refuseEvent = () => {
      const at = this.refuseNextEventAt;
      this.refuseNextEventAt = undefined;
      return at;
    };
    return {
      Project: memoryModel(gate, c.projects, none, connection),
      Workspace: memoryModel(gate, c.workspaces, none, connection),
      Event: memoryModel(gate, c.events, refuseEvent, connection),
      Request: memoryModel(gate, c.requests, none, connection),
      Directory: memoryModel(gate, c.directory, none, connection),
      Meta: memoryModel(gate, c.meta, none, connection),
    } as unknown as Models;
  }
}
