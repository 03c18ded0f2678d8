import { randomUUID } from 'node:crypto';
import { isDuplicateKey } from '@app/core';
import type { Connection } from 'mongoose';
import { ACTIVE_STATUSES, isFinal, type StoredJobStatus, type VideoJob } from './video-job.js';
import { withDecidedOutcome } from './video-job-history.js';
import { createVideoModels, type VideoJobDoc, type VideoLeaseDoc, type VideoModels } from './video-job-models.js';
import { VideoJobSteps } from './video-job-steps.js';

/** A lease this node holds on a job: valid while `Date.now() < validUntil` (see ADR 0008 and 0012). */
export interface HeldLease {
  jobId: string;
  epoch: number;
  /**
   * Local deadline: the expiry written minus the safety margin. The holder starts no provider call after
   * it, and every call it starts ends (its own timeout) before the written expiry, when a claimer may take over.
   */
  validUntil: number;
}

type JobPatch = Partial<Omit<VideoJob, 'id' | 'workspaceId' | 'projectId' | 'provider' | 'request' | 'createdAt'>>;

function jobOf(doc: VideoJobDoc): VideoJob {
  const { _id, request, ...rest } = doc;
  return { ...rest, id: _id, request: JSON.parse(request) as VideoJob['request'] };
}

/**
 * Durable video jobs in MongoDB: the job record (written before the provider is called), the one
 * active job per workspace, and the leases that let exactly one node poll each job. Every claim is an
 * insert of a document with a unique `_id`, the one write FerretDB v1 makes atomic (ADR 0008).
 */
export class VideoJobStore {
  /** The fenced steps and in-flight slots of the jobs (ADR 0012). */
  readonly steps: VideoJobSteps;

  private constructor(
    readonly models: VideoModels,
    /** This node's name in the leases it takes. */
    readonly nodeId: string,
  ) {
    this.steps = new VideoJobSteps(models, nodeId);
  }

  static async create(connection: Connection, nodeId: string = randomUUID()): Promise<VideoJobStore> {
    return new VideoJobStore(await createVideoModels(connection), nodeId);
  }

  /**
   * Makes `workspaceId`'s active job `jobId`; false when the workspace already has one. A marker whose
   * job has ended (its node died between the two writes) is taken over.
   */
  async reserveWorkspace(workspaceId: string, jobId: string): Promise<boolean> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        await this.models.Active.create({ _id: workspaceId, jobId });
        return true;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
      const current = await this.models.Active.findById(workspaceId).lean().exec();
      if (current === null) continue;
      if (current.jobId === jobId) return true; // a retry of the request that reserved it (its job may not be written yet)
      const job = await this.get(current.jobId);
      if (job !== undefined && (ACTIVE_STATUSES as readonly string[]).includes(job.status)) return false;
      await this.models.Active.deleteOne({ _id: workspaceId, jobId: current.jobId }).exec();
    }
    return false;
  }

  /** Frees the workspace for its next job (only if `jobId` still holds it). */
  async releaseWorkspace(workspaceId: string, jobId: string): Promise<void> {
    await this.models.Active.deleteOne({ _id: workspaceId, jobId }).exec();
  }

  /** The id of the workspace's active job, if it has one. */
  async activeJobId(workspaceId: string): Promise<string | undefined> {
    return (await this.models.Active.findById(workspaceId).lean().exec())?.jobId;
  }

  async insert(job: VideoJob): Promise<void> {
    const { id, request, ...rest } = job;
    await this.models.Job.create({ ...rest, _id: id, request: JSON.stringify(request) });
  }

  /**
   * The job as its document says. An ended job's document is written last, once its final status is in
   * the log; until then the `final` step (ADR 0012) holds the outcome.
   */
  async get(jobId: string): Promise<VideoJob | undefined> {
    const doc = await this.models.Job.findById(jobId).lean<VideoJobDoc>().exec();
    return doc === null ? undefined : jobOf(doc);
  }

  /**
   * The job as its project's log shows it, for what is served to people (`GET /videos/…`, signed links):
   * its decided outcome (the `final` step) even before the document follows it, as `video.list` shows it.
   */
  async view(jobId: string): Promise<VideoJob | undefined> {
    const job = await this.get(jobId);
    return job === undefined || isFinal(job.status) ? job : withDecidedOutcome(this.models, job);
  }

  /**
   * Applies `patch` unless the job already ended: true when written. With `epoch` (the writer's lease),
   * the write also carries the epoch and is refused when a newer holder has written the job.
   */
  async update(jobId: string, patch: JobPatch, epoch?: number): Promise<boolean> {
    const set: Record<string, unknown> = { updatedAt: new Date() };
    if (epoch !== undefined) set['leaseEpoch'] = epoch;
    const unset: Record<string, 1> = {};
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) unset[key] = 1;
      else set[key] = value;
    }
    const filter: Record<string, unknown> = { _id: jobId, status: { $in: ACTIVE_STATUSES } };
    if (epoch !== undefined) filter['leaseEpoch'] = { $lte: epoch };
    const update = Object.keys(unset).length === 0 ? { $set: set } : { $set: set, $unset: unset };
    const result = await this.models.Job.updateOne(filter, update).exec();
    return result.matchedCount > 0;
  }

  /**
   * Jobs not ended yet, in `_id` order after `afterId` (each node scans them for leases that expired,
   * page by page: a stable order, so no job is left out however many there are).
   */
  async activeJobs(afterId?: string, limit = 500): Promise<VideoJob[]> {
    const filter: Record<string, unknown> = { status: { $in: ACTIVE_STATUSES as StoredJobStatus[] } };
    if (afterId !== undefined) filter['_id'] = { $gt: afterId };
    const docs = await this.models.Job.find(filter).sort({ _id: 1 }).limit(limit).lean<VideoJobDoc[]>().exec();
    return docs.map(jobOf);
  }

  /** The newest lease of a job: walks `_id`s up from the job's epoch hint (reads by `_id` only). */
  async currentLease(job: Pick<VideoJob, 'id' | 'leaseEpoch'>): Promise<VideoLeaseDoc | undefined> {
    let found: VideoLeaseDoc | undefined;
    let epoch = Math.max(1, job.leaseEpoch);
    for (;;) {
      const doc = await this.models.Lease.findById(`${job.id}:${epoch}`).lean<VideoLeaseDoc>().exec();
      if (doc === null) return found;
      found = doc;
      epoch += 1;
    }
  }

  /**
   * Tries to take the job's lease for `leaseMs`: only when nobody holds one or the newest one expired.
   * Exactly one of any number of concurrent claimers (on any connection) gets each epoch.
   */
  async claim(job: Pick<VideoJob, 'id' | 'leaseEpoch'>, leaseMs: number, marginMs = 0): Promise<HeldLease | undefined> {
    const current = await this.currentLease(job);
    const now = Date.now();
    if (current !== undefined && current.expiresAt.getTime() > now) return undefined;
    // Never an epoch used before: the job's hint remembers it after an ended job's leases were dropped.
    const epoch = Math.max(current?.epoch ?? 0, job.leaseEpoch) + 1;
    const expiresAt = now + leaseMs + marginMs;
    try {
      await this.models.Lease.create({
        _id: `${job.id}:${epoch}`,
        jobId: job.id,
        epoch,
        owner: this.nodeId,
        expiresAt: new Date(expiresAt),
      });
    } catch (error) {
      if (isDuplicateKey(error)) return undefined; // another node won this epoch
      throw error;
    }
    // The hint only moves forward in practice; a stale one costs a few more reads, never correctness.
    await this.models.Job.updateOne(
      { _id: job.id, leaseEpoch: { $lt: epoch } },
      { $set: { leaseEpoch: epoch } },
    ).exec();
    return { jobId: job.id, epoch, validUntil: now + leaseMs };
  }

  /**
   * Extends a held lease. Only called before `validUntil`, so no other node can have claimed the next
   * epoch (they wait for the expiry written, `marginMs` later); false when the lease is already past its
   * time or its document is gone (the job ended, or the lease was released): the holder then stops.
   */
  async renew(lease: HeldLease, leaseMs: number, marginMs = 0): Promise<boolean> {
    const sentAt = Date.now();
    if (sentAt >= lease.validUntil) return false;
    const result = await this.models.Lease.updateOne(
      { _id: `${lease.jobId}:${lease.epoch}` },
      { $set: { expiresAt: new Date(sentAt + leaseMs + marginMs) } },
    ).exec();
    if (result.matchedCount === 0) {
      lease.validUntil = 0;
      return false;
    }
    if (Date.now() >= lease.validUntil) return false; // the write landed after the old expiry: another node may have claimed
    lease.validUntil = sentAt + leaseMs;
    return true;
  }

  /** Gives a lease up now, so another node can take the job at once (graceful stop). */
  async release(lease: HeldLease): Promise<void> {
    lease.validUntil = 0;
    await this.models.Lease.updateOne(
      { _id: `${lease.jobId}:${lease.epoch}` },
      { $set: { expiresAt: new Date(0) } },
    ).exec();
  }

  /** Records that the job should be cancelled (idempotent); the node holding its lease acts on it. */
  async requestCancel(jobId: string): Promise<void> {
    try {
      await this.models.Cancel.create({ _id: jobId, requestedAt: new Date() });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
  }

  async cancelRequested(jobId: string): Promise<boolean> {
    return (await this.models.Cancel.findById(jobId).lean().exec()) !== null;
  }

  /** Removes the leases and the cancel request of a job that ended. */
  async dropLeases(jobId: string): Promise<void> {
    await this.models.Lease.deleteMany({ jobId }).exec();
    await this.models.Cancel.deleteOne({ _id: jobId }).exec();
  }
}

/** A stored job document as the pipeline's record (for the cost and retention modules). */
export { jobOf };
