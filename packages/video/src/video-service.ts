import { createHash, randomUUID } from 'node:crypto';
import {
  isDuplicateKey,
  type Budget,
  type MutationContext,
  type ReadContext,
  type VideoRequests,
  type WorkspaceService,
} from '@app/core';
import {
  MAX_VIDEO_LIST_LENGTH,
  ProtocolError,
  resolveVideoRequest,
  type AckData,
  type ParsedRequestData,
} from '@app/protocol';
import { workspaceJobs } from './video-job-history.js';
import type { VideoJobStore } from './video-job-store.js';
import type { VideoPipeline } from './video-pipeline.js';
import type { VideoRequest } from './video-provider.js';
import { toVideoJobInfo } from './wire-shapes.js';

export interface VideoServiceOptions {
  /** Reads the workspace: authorisation and its project. */
  service: Pick<WorkspaceService, 'get'>;
  pipeline: Pick<VideoPipeline, 'submit' | 'cancel'>;
  store: Pick<VideoJobStore, 'get' | 'models'>;
  /** Generations per subject (VIDEO_DAILY_LIMIT_PER_SUBJECT), shared by every node; taken before a job starts. */
  dailyBudget?: Budget | undefined;
}

/**
 * `video.generate` and `video.cancel` for the apps: authorised like the workspace (reading it with the
 * caller's context), idempotent by request id (the job id is derived from the subject and request id,
 * so a retry finds the job its first attempt made), and handed to the pipeline, whose `queued` status
 * is an event of the project before the ack goes out.
 */
export class VideoService implements VideoRequests {
  constructor(private readonly options: VideoServiceOptions) {}

  async generate(input: ParsedRequestData<'video.generate'>, ctx: MutationContext): Promise<AckData<'video.generate'>> {
    // The model catalogue's rules first: a request Runway would refuse never becomes a job.
    const request = requestOf(input);
    const workspace = await this.options.service.get(input.workspaceId, ctx);
    const jobId = ctx.requestId === undefined ? randomUUID() : jobIdOf(ctx.subject, ctx.requestId);
    const retried = await this.retried(jobId, input.workspaceId, request);
    if (retried !== undefined) return retried; // a retry starts nothing, so it costs nothing
    await this.options.dailyBudget?.consume(ctx.subject);
    try {
      const job = await this.options.pipeline.submit({
        workspaceId: input.workspaceId,
        projectId: workspace.projectId,
        request,
        requestedBy: ctx.subject,
        jobId,
      });
      return { job: toVideoJobInfo(job) };
    } catch (error) {
      // A retry that raced its first attempt finds that attempt's job (its id taken, or the workspace).
      const raced = isDuplicateKey(error) || (error instanceof ProtocolError && error.code === 'CONFLICT');
      if (raced && ctx.requestId !== undefined) {
        const earlier = await this.retried(jobId, input.workspaceId, request);
        if (earlier !== undefined) return earlier;
      }
      throw error;
    }
  }

  async cancel(input: ParsedRequestData<'video.cancel'>, ctx: MutationContext): Promise<AckData<'video.cancel'>> {
    const workspace = await this.options.service.get(input.workspaceId, ctx);
    try {
      return { job: toVideoJobInfo(await this.options.pipeline.cancel(input.workspaceId)) };
    } catch (error) {
      // Cancelling a job that is already cancelled (a retry, or two tabs at once) answers with that job.
      const latest = workspace.video;
      if (error instanceof ProtocolError && error.code === 'NOT_FOUND' && latest?.status === 'cancelled') {
        const job = await this.options.store.get(latest.jobId);
        // The log has the final status before the job document is written (ADR 0012): the log's answer.
        if (job !== undefined) return { job: toVideoJobInfo({ ...job, status: 'cancelled' }) };
      }
      throw error;
    }
  }

  /** The workspace's jobs, newest first (finished ones until retention removes them), after reading the workspace as the caller. */
  async list(input: ParsedRequestData<'video.list'>, ctx: ReadContext): Promise<AckData<'video.list'>> {
    await this.options.service.get(input.workspaceId, ctx);
    const jobs = await workspaceJobs(this.options.store.models, input.workspaceId, MAX_VIDEO_LIST_LENGTH);
    return { jobs: jobs.map(toVideoJobInfo) };
  }

  /** The ack of a retried request (its job exists), or undefined; a request id reused for another request is refused. */
  private async retried(
    jobId: string,
    workspaceId: string,
    request: VideoRequest,
  ): Promise<AckData<'video.generate'> | undefined> {
    const job = await this.options.store.get(jobId);
    if (job === undefined) return undefined;
    if (job.workspaceId !== workspaceId || JSON.stringify(job.request) !== JSON.stringify(request)) {
      throw new ProtocolError('INVALID_MESSAGE', 'Request id was already used for a different request');
    }
    return { job: toVideoJobInfo(job) };
  }
}

/** A job id from the subject and request id: the same for every retry of one request, unguessable for others. */
export function jobIdOf(subject: string, requestId: string): string {
  return createHash('sha256').update(`${subject}\u0000${requestId}`).digest('base64url').slice(0, 32);
}

/**
 * What the provider is asked for: checked against the model catalogue (INVALID_MESSAGE naming the allowed
 * values otherwise) with the model's defaults filled in, absent fields left out (so the stored request
 * compares equal on a retry).
 */
function requestOf(input: ParsedRequestData<'video.generate'>): VideoRequest {
  return resolveVideoRequest(input);
}
