import type { ProviderError } from './provider-error.js';

/** What to generate. `promptImage` switches to image-to-video. */
export interface VideoRequest {
  prompt?: string | undefined;
  model?: string | undefined;
  /** `width:height` as the provider spells it, e.g. `1280:720`. */
  ratio?: string | undefined;
  /** Seconds. */
  duration?: number | undefined;
  /** HTTPS URL or data URI of the first frame. */
  promptImage?: string | undefined;
  seed?: number | undefined;
}

/** A provider task's state, normalised from the provider's own names. */
export type ProviderTaskState = 'queued' | 'throttled' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface ProviderTask {
  state: ProviderTaskState;
  /** 0 to 1, while running. */
  progress?: number | undefined;
  /** Output URLs (expiring), when succeeded. */
  outputUrls?: string[] | undefined;
  /** Why it failed, when failed. */
  error?: ProviderError | undefined;
  /** The provider's estimate in credits, while the task is unfinished. */
  estimatedCost?: number | undefined;
  /** What the task cost in credits, once it ended (0 when refunded). */
  cost?: number | undefined;
}

/** What a create answers: the task id, and the provider's estimate of its cost in credits. */
export interface CreatedTask {
  taskId: string;
  estimatedCost?: number | undefined;
}

export interface ProviderCallOptions {
  signal?: AbortSignal | undefined;
}

/**
 * A video generation provider: asynchronous tasks that are created, polled and cancelled. Every method
 * throws only {@link ProviderError}. `create` is called at most once per attempt and never retried
 * inside: a lost answer may have started a paid task, so only the caller decides (see ADR 0008).
 */
export interface VideoProvider {
  /** Short name for logs and metrics (`runway`). */
  readonly name: string;
  create(request: VideoRequest, options?: ProviderCallOptions): Promise<CreatedTask>;
  get(taskId: string, options?: ProviderCallOptions): Promise<ProviderTask>;
  /** Cancels a pending, throttled or running task (deletes a finished one). */
  cancel(taskId: string, options?: ProviderCallOptions): Promise<void>;
}
