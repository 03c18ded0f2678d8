import { randomUUID } from 'node:crypto';
import mongoose, { type Connection, type Model } from 'mongoose';

const { Schema } = mongoose;

/** A project's log head and read-model order. Created with the project's first event. */
export interface ProjectDoc {
  _id: string;
  /** Fixed when the log is created; a reset log gets a new one, so stale `sinceSeq` values are detected. */
  epoch: string;
  /** Seq of the last event the read model reflects (it may lag the log; loading folds the rest). */
  seq: number;
  /** May be missing while empty (FerretDB v1 drops an empty array written by $setOnInsert). */
  order?: string[] | undefined;
  /** Per live workspace, the seq of the event that last wrote it: a workspace document with another `lastSeq` is not trusted. */
  lastSeqs?: Record<string, number> | undefined;
  createdAt: Date;
}

/** The read model of one workspace. `position` is not stored: it is the index in the project's `order`. */
export interface WorkspaceDoc {
  _id: string;
  projectId: string;
  name: string;
  version: number;
  /**
   * JSON text of the workspace's `data` (docs/decisions/0004-client-values-stored-as-json-text.md); a plain
   * object in documents written before it.
   */
  data: string | Record<string, unknown>;
  video?: Record<string, unknown> | undefined;
  createdAt: Date;
  updatedAt: Date;
  /** Seq of the last event applied to this document; projections only move it forward. */
  lastSeq: number;
}

/**
 * One event: the source of truth. `_id` is `<projectId>:<seq>`, so no seq can be stored twice.
 * This is the form the code works with; the database holds a `StoredEventDoc`.
 */
export interface EventDoc {
  _id: string;
  projectId: string;
  seq: number;
  /** Idempotency key: JSON of [subject, requestId], or `~<projectId>:<seq>` when the request had no id. Unique. */
  key: string;
  /** Hash of the request's type and data, to refuse an id reused for a different request. */
  requestHash?: string | undefined;
  type: string;
  data: Record<string, unknown>;
  /** Written by earlier versions only; the order is derived from the events themselves. */
  order?: string[] | undefined;
  origin?: Record<string, unknown> | undefined;
  createdAt: Date;
}

/**
 * An event as stored: `data` and `origin` hold client values, so they are stored as their JSON
 * text, which every backend keeps as it is (docs/decisions/0004-client-values-stored-as-json-text.md).
 * Events written before that hold plain objects.
 */
export interface StoredEventDoc extends Omit<EventDoc, 'data' | 'origin'> {
  data: string | Record<string, unknown>;
  origin?: string | Record<string, unknown> | undefined;
}

/**
 * Where an idempotency key was applied: `_id` is the event's `key`, so a retry is found with one
 * primary-key read (FerretDB v1 answers equality on other fields with a full scan). Written with
 * the events, before their ack; loading a project restores any a crash lost in between.
 */
export interface RequestDoc {
  _id: string;
  projectId: string;
  seq: number;
}

/**
 * Facts about the database itself. `database`: its `epoch`, drawn when the database is first used,
 * from which the epoch of each project's log is derived (so a project without events already knows
 * the epoch its log will have, and a new database gives every project a new one).
 */
export interface MetaDoc {
  _id: string;
  epoch: string;
  createdAt: Date;
}

const metaSchema = new Schema<MetaDoc>(
  {
    _id: { type: String, required: true },
    epoch: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, strict: true, collection: 'meta' },
);

/**
 * Which project a workspace belongs to, stored before the event that creates it (so every node finds
 * the project by the workspace's id as soon as the event is visible). An entry whose event was never
 * stored (its node died in between, or another node took the seq) names a workspace no head lists,
 * which answers `NOT_FOUND` like any unknown id.
 */
export interface DirectoryDoc {
  _id: string;
  projectId: string;
}

const directorySchema = new Schema<DirectoryDoc>(
  {
    _id: { type: String, required: true },
    projectId: { type: String, required: true },
  },
  { versionKey: false, strict: true, collection: 'directory' },
);

const requestSchema = new Schema<RequestDoc>(
  {
    _id: { type: String, required: true },
    projectId: { type: String, required: true },
    seq: { type: Number, required: true },
  },
  { versionKey: false, strict: true, collection: 'requests' },
);

const projectSchema = new Schema<ProjectDoc>(
  {
    _id: { type: String, required: true },
    epoch: { type: String, required: true },
    seq: { type: Number, required: true },
    order: { type: [String], default: [] },
    lastSeqs: { type: Schema.Types.Mixed, default: {} },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, minimize: false, strict: true, collection: 'projects' },
);

const workspaceSchema = new Schema<WorkspaceDoc>(
  {
    _id: { type: String, required: true },
    projectId: { type: String, required: true },
    name: { type: String, required: true },
    version: { type: Number, required: true },
    data: { type: Schema.Types.Mixed, default: {} },
    video: { type: Schema.Types.Mixed },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    lastSeq: { type: Number, required: true },
  },
  { versionKey: false, minimize: false, strict: true, collection: 'workspaces' },
);

const eventSchema = new Schema<StoredEventDoc>(
  {
    _id: { type: String, required: true },
    projectId: { type: String, required: true },
    seq: { type: Number, required: true },
    key: { type: String, required: true },
    requestHash: { type: String },
    type: { type: String, required: true },
    data: { type: Schema.Types.Mixed, required: true },
    order: { type: [String], default: undefined },
    origin: { type: Schema.Types.Mixed },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, minimize: false, strict: true, collection: 'events' },
);
// No index on projectId or seq: `_id` (`<projectId>:<seq>`) answers every read of the log and makes a
// seq impossible to store twice (docs/decisions/0001-event-first-write-path.md; on FerretDB the `_id` index
// serves those reads only with docs/decisions/0003-ferretdb-id-index-patch.md). `key` is unique: a request is
// never stored twice.
eventSchema.index({ key: 1 }, { unique: true });

export interface Models {
  Project: Model<ProjectDoc>;
  Workspace: Model<WorkspaceDoc>;
  Event: Model<StoredEventDoc>;
  Request: Model<RequestDoc>;
  Directory: Model<DirectoryDoc>;
  Meta: Model<MetaDoc>;
}

/** Registers the models on a connection and creates their collections and indexes (before serving). */
export async function createModels(connection: Connection): Promise<Models> {
  const models: Models = {
    Project: connection.model<ProjectDoc>('Project', projectSchema),
    Workspace: connection.model<WorkspaceDoc>('Workspace', workspaceSchema),
    Event: connection.model<StoredEventDoc>('Event', eventSchema),
    Request: connection.model<RequestDoc>('Request', requestSchema),
    Directory: connection.model<DirectoryDoc>('Directory', directorySchema),
    Meta: connection.model<MetaDoc>('Meta', metaSchema),
  };
  for (const model of Object.values(models) as Model<unknown>[]) {
    await model.createCollection().catch((error: unknown) => {
      if (!isNamespaceExists(error)) throw error;
    });
    await model.createIndexes();
  }
  await databaseEpoch(models);
  return models;
}

/** The database's epoch (see `MetaDoc`), created by the first caller. */
export async function databaseEpoch(models: Models): Promise<string> {
  try {
    await models.Meta.collection.updateOne(
      { _id: 'database' as never },
      { $setOnInsert: { epoch: randomUUID(), createdAt: new Date() } },
      { upsert: true },
    );
  } catch (error) {
    if ((error as { code?: unknown }).code !== 11000) throw error; // another node created it at the same time
  }
  const meta = await models.Meta.findById('database').lean<MetaDoc>().exec();
  if (meta === null) throw new Error('the database epoch could not be stored');
  return meta.epoch;
}

function isNamespaceExists(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 48;
}
