import RunwayML, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  type ClientOptions,
} from '@runwayml/sdk';
import type { ImageToVideoCreateParams } from '@runwayml/sdk/resources/image-to-video';
import type { TextToVideoCreateParams } from '@runwayml/sdk/resources/text-to-video';
import type { TaskRetrieveResponse } from '@runwayml/sdk/resources/tasks';
import { ProviderError } from './provider-error.js';
import type { ProviderCallOptions, ProviderTask, VideoProvider, VideoRequest } from './video-provider.js';

export interface RunwayProviderOptions {
  /** RUNWAYML_API_SECRET. Never logged. */
  apiKey: string;
  /** RUNWAYML_BASE_URL; the SDK's default (Runway's API) when unset. */
  baseUrl?: string | undefined;
  /** Longest wait for one HTTP call; past it the call fails with `TIMEOUT`. */
  timeoutMs: number;
  /** Injected fetch (tests of the transport only). */
  fetch?: ClientOptions['fetch'];
}

/** Defaults Runway needs when the request leaves them out: text-only needs `gen4.5`, image needs a model that takes one. */
const TEXT_MODEL = 'gen4.5';
const IMAGE_MODEL = 'gen4_turbo';
const DEFAULT_RATIO = '1280:720';
const DEFAULT_DURATION_SEC = 5;

/**
 * Runway through its official SDK. Every call is made once (`maxRetries: 0`): the SDK would retry a
 * create on 429, 5xx and timeouts without an idempotency key, and a lost answer can start a second paid
 * task, so the pipeline owns every retry decision.
 */
export class RunwayProvider implements VideoProvider {
  readonly name = 'runway';
  private readonly client: RunwayML;

  constructor(options: RunwayProviderOptions) {
    this.client = new RunwayML({
      apiKey: options.apiKey,
      ...(options.baseUrl === undefined ? {} : { baseURL: options.baseUrl }),
      maxRetries: 0,
      timeout: options.timeoutMs,
      logLevel: 'off',
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    });
  }

  async create(request: VideoRequest, options: ProviderCallOptions = {}): Promise<{ taskId: string }> {
    const requestOptions = { maxRetries: 0, ...(options.signal === undefined ? {} : { signal: options.signal }) };
    try {
      const common = {
        ratio: request.ratio ?? DEFAULT_RATIO,
        duration: request.duration ?? DEFAULT_DURATION_SEC,
        ...(request.seed === undefined ? {} : { seed: request.seed }),
      };
      const created =
        request.promptImage === undefined
          ? await this.client.textToVideo.create(
              {
                ...common,
                model: request.model ?? TEXT_MODEL,
                promptText: request.prompt ?? '',
              } as TextToVideoCreateParams,
              requestOptions,
            )
          : await this.client.imageToVideo.create(
              {
                ...common,
                model: request.model ?? IMAGE_MODEL,
                promptImage: request.promptImage,
                ...(request.prompt === undefined ? {} : { promptText: request.prompt }),
              } as ImageToVideoCreateParams,
              requestOptions,
            );
      return { taskId: created.id };
    } catch (error) {
      throw providerErrorOf(error);
    }
  }

  async get(taskId: string, options: ProviderCallOptions = {}): Promise<ProviderTask> {
    try {
      const task = await this.client.tasks.retrieve(taskId, {
        maxRetries: 0,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
      return taskOf(task);
    } catch (error) {
      throw providerErrorOf(error);
    }
  }

  async cancel(taskId: string, options: ProviderCallOptions = {}): Promise<void> {
    try {
      await this.client.tasks.delete(taskId, {
        maxRetries: 0,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
    } catch (error) {
      throw providerErrorOf(error);
    }
  }
}

function taskOf(task: TaskRetrieveResponse): ProviderTask {
  switch (task.status) {
    case 'PENDING':
      return { state: 'queued' };
    case 'THROTTLED':
      return { state: 'throttled' };
    case 'RUNNING':
      return { state: 'running', progress: typeof task.progress === 'number' ? clamp01(task.progress) : undefined };
    case 'SUCCEEDED':
      return { state: 'succeeded', outputUrls: task.output };
    case 'CANCELLED':
      return { state: 'cancelled' };
    case 'FAILED':
      return { state: 'failed', error: taskFailure(task.failureCode ?? undefined) };
  }
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}

/**
 * A failed task's error. Runway's `failure` text is not for users (its docs say so), so the message is
 * ours; `SAFETY.*` (moderation) and `ASSET.*` (bad input) must not be retried, the rest may be.
 */
export function taskFailure(failureCode: string | undefined): ProviderError {
  const code = failureCode ?? 'INTERNAL';
  if (code.startsWith('SAFETY.')) {
    return new ProviderError({
      code,
      retryable: false,
      message: `Content moderation refused this generation (${code}); change the prompt or image`,
    });
  }
  if (code.startsWith('ASSET.')) {
    return new ProviderError({ code, retryable: false, message: `The input image could not be used (${code})` });
  }
  return new ProviderError({ code, retryable: true, message: `The provider failed to generate the video (${code})` });
}

/** `Retry-After` / `retry-after-ms` of a 429, in ms. */
function retryAfterMsOf(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms;
  const value = headers?.get('retry-after');
  if (value === null || value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** Maps anything the SDK throws to a {@link ProviderError} (messages of ours: the SDK's may quote a response body). */
export function providerErrorOf(error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  if (error instanceof APIConnectionTimeoutError) {
    return new ProviderError({
      code: 'TIMEOUT',
      retryable: true,
      message: 'The provider did not answer in time',
      cause: error,
    });
  }
  if (error instanceof APIUserAbortError) {
    return new ProviderError({
      code: 'ABORTED',
      retryable: true,
      message: 'The provider call was aborted',
      cause: error,
    });
  }
  if (error instanceof APIConnectionError) {
    return new ProviderError({
      code: 'CONNECTION',
      retryable: true,
      message: 'The provider could not be reached',
      cause: error,
    });
  }
  if (error instanceof APIError) {
    const status = error.status ?? 0;
    if (status === 429) {
      return new ProviderError({
        code: 'RATE_LIMITED',
        retryable: true,
        retryAfterMs: retryAfterMsOf(error.headers),
        message: 'The provider refused the request: rate or daily limit reached',
        cause: error,
      });
    }
    if (status >= 500) {
      return new ProviderError({
        code: 'PROVIDER_UNAVAILABLE',
        retryable: true,
        message: `The provider answered ${status}`,
        cause: error,
      });
    }
    if (status === 401 || status === 403) {
      return new ProviderError({
        code: 'PROVIDER_AUTH',
        retryable: false,
        message: 'The provider refused the API key',
        cause: error,
      });
    }
    if (status === 404) {
      return new ProviderError({
        code: 'NOT_FOUND',
        retryable: false,
        message: 'The provider does not know this task',
        cause: error,
      });
    }
    return new ProviderError({
      code: 'INVALID_REQUEST',
      retryable: false,
      message: `The provider refused the request (${status})${bodyMessage(error.error)}`,
      cause: error,
    });
  }
  return new ProviderError({
    code: 'INTERNAL',
    retryable: false,
    message: 'Unexpected provider client error',
    cause: error,
  });
}

/** Runway's 400 body names the field (`{"error":"promptImage: ..."}`): safe and useful, capped. */
function bodyMessage(body: unknown): string {
  const text = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
  return typeof text === 'string' ? `: ${text.slice(0, 200)}` : '';
}
