import type { VideoRequest } from './video-provider.js';

/** A job's status as clients see it (`video.status_update`). */
export type VideoJobStatus = 'queued' | 'throttled' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/**
 * Stored status: `pending` while no node has sent it to the provider yet (safe to send: queued by a server
 * that runs no jobs, VIDEO_PIPELINE=off), `submitting` while the create call may be in flight and no task
 * id is known yet (never sent again).
 */
export type StoredJobStatus = 'pending' | 'submitting' | VideoJobStatus;

export const ACTIVE_STATUSES: readonly StoredJobStatus[] = ['pending', 'submitting', 'queued', 'throttled', 'running'];
export const FINAL_STATUSES: readonly VideoJobStatus[] = ['succeeded', 'failed', 'cancelled'];

export function isFinal(status: StoredJobStatus): boolean {
  return (FINAL_STATUSES as readonly string[]).includes(status);
}

/** A job's error as stored and as clients see it. */
export interface VideoJobError {
  code: string;
  message: string;
  retryable: boolean;
}

/** One video job (the stored record, as the pipeline and its callers use it). */
export interface VideoJob {
  id: string;
  workspaceId: string;
  projectId: string;
  provider: string;
  request: VideoRequest;
  status: StoredJobStatus;
  /** The provider's task id, stored as soon as the create call answered. */
  taskId?: string | undefined;
  /** 0 to 1. */
  progress?: number | undefined;
  /** Ours (`/videos/<jobId>.mp4`), never the provider's URL. */
  videoUrl?: string | undefined;
  /** SHA-256 (hex) and size of the stored file. */
  sha256?: string | undefined;
  bytes?: number | undefined;
  error?: VideoJobError | undefined;
  /** The provider's own estimate in credits, once its task exists (before that, the catalogue's price). */
  estimatedCost?: number | undefined;
  /** What the provider charged, in credits, once its task ended. */
  cost?: number | undefined;
  /** Subject who asked for it. */
  requestedBy?: string | undefined;
  /** When the next poll is due. */
  nextPollAt: Date;
  /** Past this the job fails with `TIMEOUT` (VIDEO_JOB_TIMEOUT_MS after creation). */
  deadlineAt: Date;
  /** Hint of the newest lease epoch (see ADR 0008); the lease documents are the truth. */
  leaseEpoch: number;
  createdAt: Date;
  updatedAt: Date;
}

/** Where a stored job's video is served by the HTTP API. */
export function videoUrlOf(jobId: string): string {
  return `/videos/${jobId}.mp4`;
}

/** The status clients see: `pending` and `submitting` are `queued` to them. */
export function publicStatus(status: StoredJobStatus): VideoJobStatus {
  return status === 'submitting' || status === 'pending' ? 'queued' : status;
}
