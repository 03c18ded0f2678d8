import mongoose, { type Connection, type Model } from 'mongoose';
import type { VideoJob } from './video-job.js';

const { Schema } = mongoose;

/** A job as stored: the request holds client text, so it is kept as its JSON text (ADR 0004). */
export interface VideoJobDoc extends Omit<VideoJob, 'id' | 'request'> {
  _id: string;
  request: string;
}

/**
 * One lease of one job: `_id` is `<jobId>:<epoch>`. Inserting it is the claim: a unique `_id` is the one
 * write FerretDB v1 makes atomic across connections, so exactly one node wins each epoch (ADR 0008).
 */
export interface VideoLeaseDoc {
  _id: string;
  jobId: string;
  epoch: number;
  owner: string;
  expiresAt: Date;
}

/** The one active job of a workspace: `_id` is the workspace id, so a second active job cannot be inserted. */
export interface VideoActiveDoc {
  _id: string;
  jobId: string;
}

/**
 * A cancel request: `_id` is the job id. Its own document, written once by whichever node takes the
 * request, because only the lease holder writes the job (FerretDB v1 updates of one document from two
 * connections can lose one of them, ADR 0008).
 */
export interface VideoCancelDoc {
  _id: string;
  requestedAt: Date;
}

/**
 * One fenced step of a job: `_id` is `<jobId>:<step>` (`create`, `task`, `queued`, `final`). Each can be
 * inserted once, by whichever holder gets there first; a stale lease holder's insert of the same step is
 * refused by the database itself (ADR 0012).
 */
export interface VideoStepDoc {
  _id: string;
  jobId: string;
  step: string;
  /** Lease epoch and node of the writer: they tell a writer its own insert after a lost reply. */
  epoch: number;
  owner: string;
  at: Date;
  /** `task`: the provider task id, or null when none was (or may have been) created. */
  taskId?: string | null | undefined;
  /** `final`: the outcome, as the job will store it (JSON text: it may hold an error object). */
  outcome?: string | undefined;
}

/** One of the deployment's VIDEO_MAX_IN_FLIGHT slots at the provider: `_id` is the slot number. */
export interface VideoSlotDoc {
  _id: number;
  jobId: string;
  at: Date;
}

export interface VideoModels {
  Job: Model<VideoJobDoc>;
  Cancel: Model<VideoCancelDoc>;
  Lease: Model<VideoLeaseDoc>;
  Active: Model<VideoActiveDoc>;
  Step: Model<VideoStepDoc>;
  Slot: Model<VideoSlotDoc>;
}

const errorSchema = new Schema(
  { code: { type: String, required: true }, message: { type: String, required: true }, retryable: Boolean },
  { _id: false, versionKey: false },
);

const jobSchema = new Schema<VideoJobDoc>(
  {
    _id: { type: String, required: true },
    workspaceId: { type: String, required: true },
    projectId: { type: String, required: true },
    provider: { type: String, required: true },
    request: { type: String, required: true },
    status: { type: String, required: true },
    taskId: String,
    progress: Number,
    videoUrl: String,
    sha256: String,
    bytes: Number,
    error: errorSchema,
    estimatedCost: Number,
    cost: Number,
    requestedBy: String,
    nextPollAt: { type: Date, required: true },
    deadlineAt: { type: Date, required: true },
    leaseEpoch: { type: Number, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, strict: true, collection: 'videoJobs' },
);
jobSchema.index({ status: 1 });
jobSchema.index({ taskId: 1 });
jobSchema.index({ status: 1, updatedAt: 1 }); // the retention sweep
jobSchema.index({ workspaceId: 1, createdAt: -1 }); // a workspace's videos, newest first

const leaseSchema = new Schema<VideoLeaseDoc>(
  {
    _id: { type: String, required: true },
    jobId: { type: String, required: true },
    epoch: { type: Number, required: true },
    owner: { type: String, required: true },
    expiresAt: { type: Date, required: true },
  },
  { versionKey: false, strict: true, collection: 'videoLeases' },
);
leaseSchema.index({ jobId: 1 });

const activeSchema = new Schema<VideoActiveDoc>(
  { _id: { type: String, required: true }, jobId: { type: String, required: true } },
  { versionKey: false, strict: true, collection: 'videoActive' },
);

const cancelSchema = new Schema<VideoCancelDoc>(
  { _id: { type: String, required: true }, requestedAt: { type: Date, required: true } },
  { versionKey: false, strict: true, collection: 'videoCancels' },
);

const stepSchema = new Schema<VideoStepDoc>(
  {
    _id: { type: String, required: true },
    jobId: { type: String, required: true },
    step: { type: String, required: true },
    epoch: { type: Number, required: true },
    owner: { type: String, required: true },
    at: { type: Date, required: true },
    taskId: { type: String, default: undefined },
    outcome: String,
  },
  { versionKey: false, strict: true, collection: 'videoSteps' },
);
stepSchema.index({ jobId: 1 });

const slotSchema = new Schema<VideoSlotDoc>(
  {
    _id: { type: Number, required: true },
    jobId: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false, strict: true, collection: 'videoSlots' },
);

/** Registers the models on a connection and creates their collections and indexes. */
export async function createVideoModels(connection: Connection): Promise<VideoModels> {
  const models: VideoModels = {
    Job: connection.models['VideoJob'] ?? connection.model<VideoJobDoc>('VideoJob', jobSchema),
    Cancel: connection.models['VideoCancel'] ?? connection.model<VideoCancelDoc>('VideoCancel', cancelSchema),
    Lease: connection.models['VideoLease'] ?? connection.model<VideoLeaseDoc>('VideoLease', leaseSchema),
    Active: connection.models['VideoActive'] ?? connection.model<VideoActiveDoc>('VideoActive', activeSchema),
    Step: connection.models['VideoStep'] ?? connection.model<VideoStepDoc>('VideoStep', stepSchema),
    Slot: connection.models['VideoSlot'] ?? connection.model<VideoSlotDoc>('VideoSlot', slotSchema),
  } as VideoModels;
  for (const model of Object.values(models) as Model<unknown>[]) {
    await model.createCollection().catch((error: unknown) => {
      if ((error as { code?: unknown }).code !== 48) throw error; // NamespaceExists: another node made it
    });
    await model.createIndexes();
  }
  return models;
}
