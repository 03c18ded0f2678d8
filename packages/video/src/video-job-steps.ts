import { isDuplicateKey } from '@app/core';
import type { VideoJobError } from './video-job.js';
import type { VideoModels, VideoStepDoc } from './video-job-models.js';

/**
 * The fenced steps of a job (ADR 0012), each a document that can be inserted once:
 * - `queued`: the `queued` status is in the project log (a scan may then send a `pending` job);
 * - `create`: the one holder allowed to call the provider's create for this job;
 * - `task`: the task id the create answered, or null when none was (or may have been) created;
 * - `output`: a poll saw the task SUCCEEDED (from then on it is never cancelled: Runway's DELETE of a
 *   finished task deletes its video);
 * - `final`: the job's outcome.
 */
/** Every once-only step of a job, in the order a job can reach them. */
export const STEP_NAMES = ['queued', 'create', 'task', 'output', 'final'] as const;
export type StepName = (typeof STEP_NAMES)[number];

/** Who writes a step: this node under one lease epoch (0 for a submit that holds no lease). */
export interface StepWriter {
  epoch: number;
}

/** A job's outcome, decided once (the `final` step). */
export interface JobOutcome {
  status: 'succeeded' | 'failed' | 'cancelled';
  error?: VideoJobError | undefined;
  progress?: number | undefined;
  videoUrl?: string | undefined;
  sha256?: string | undefined;
  bytes?: number | undefined;
  /** The provider task may still run and should be cancelled (a cancel or a timeout decided it). */
  cancelTask?: boolean | undefined;
}

export interface StepRecord {
  owner: string;
  epoch: number;
  at: Date;
  taskId?: string | null | undefined;
  outcome?: JobOutcome | undefined;
}

/** The outcome of an insert: `mine` when the stored step is this writer's (also after a lost reply). */
export interface StepResult {
  mine: boolean;
  record: StepRecord;
}

function recordOf(doc: VideoStepDoc): StepRecord {
  const record: StepRecord = { owner: doc.owner, epoch: doc.epoch, at: doc.at };
  if (doc.taskId !== undefined) record.taskId = doc.taskId;
  if (doc.outcome !== undefined) record.outcome = JSON.parse(doc.outcome) as JobOutcome;
  return record;
}

/**
 * Steps and in-flight slots: every decision that must happen at most once per job is an insert with a
 * unique `_id`, the one write that FerretDB v1 makes atomic across connections (ADR 0008, ADR 0012).
 */
export class VideoJobSteps {
  constructor(
    private readonly models: VideoModels,
    private readonly nodeId: string,
  ) {}

  /** Inserts the step unless it exists; answers which writer's step is stored. */
  async insert(
    jobId: string,
    step: StepName,
    writer: StepWriter,
    data: { taskId?: string | null; outcome?: JobOutcome } = {},
  ): Promise<StepResult> {
    const doc: VideoStepDoc = {
      _id: `${jobId}:${step}`,
      jobId,
      step,
      epoch: writer.epoch,
      owner: this.nodeId,
      at: new Date(),
    };
    if (data.taskId !== undefined) doc.taskId = data.taskId;
    if (data.outcome !== undefined) doc.outcome = JSON.stringify(data.outcome);
    try {
      await this.models.Step.create(doc);
      return { mine: true, record: recordOf(doc) };
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    const stored = await this.get(jobId, step);
    if (stored === undefined) throw new Error(`video job ${jobId}: step ${step} refused as a duplicate but not found`);
    return { mine: stored.owner === this.nodeId && stored.epoch === writer.epoch, record: stored };
  }

  async get(jobId: string, step: StepName): Promise<StepRecord | undefined> {
    const doc = await this.models.Step.findById(`${jobId}:${step}`).lean<VideoStepDoc>().exec();
    return doc === null ? undefined : recordOf(doc);
  }

  /**
   * Takes one of `cap` slots for the job (slot documents `_id` 0 to cap-1); false when all are taken.
   * A slot is freed only by its own job's completion, which runs again after any crash (the job stays
   * active until its slot is freed), so no slot is reclaimed from another job.
   */
  async takeSlot(jobId: string, cap: number): Promise<boolean> {
    if (await this.holdsSlot(jobId)) return true;
    const start = Math.floor(Math.random() * cap);
    for (let i = 0; i < cap; i += 1) {
      const slot = (start + i) % cap;
      try {
        await this.models.Slot.create({ _id: slot, jobId, at: new Date() });
        return true;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
      const holder = await this.models.Slot.findById(slot).lean().exec();
      if (holder?.jobId === jobId) return true; // our own insert, whose reply was lost
    }
    return false;
  }

  /** Whether the job holds a slot. */
  async holdsSlot(jobId: string): Promise<boolean> {
    return (await this.models.Slot.findOne({ jobId }).lean().exec()) !== null;
  }

  async releaseSlot(jobId: string): Promise<void> {
    await this.models.Slot.deleteMany({ jobId }).exec();
  }
}
