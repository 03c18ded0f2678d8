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
import { DEFAULT_VIDEO_MODEL, videoModel } from '@app/protocol';
import { ProviderError } from './provider-error.js';
import type { CreatedTask, ProviderCallOptions, ProviderTask, VideoProvider, VideoRequest } from './video-provider.js';

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

/** HTTP statuses Runway's error table says to retry a create on (load shedding, overload); 429 aside. */
const RETRY_CREATE_STATUSES: ReadonlySet<number> = new Set([502, 503, 504]);

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

  async create(request: VideoRequest, options: ProviderCallOptions = {}): Promise<CreatedTask> {
    const requestOptions = { maxRetries: 0, ...(options.signal === undefined ? {} : { signal: options.signal }) };
    try {
      const body = runwayBody(request);
      const created =
        request.promptImage === undefined
          ? await this.client.textToVideo.create(body as unknown as TextToVideoCreateParams, requestOptions)
          : await this.client.imageToVideo.create(body as unknown as ImageToVideoCreateParams, requestOptions);
      return { taskId: created.id, estimatedCost: creditsOf(created.estimatedCost) };
    } catch (error) {
      throw createErrorOf(error);
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

/**
 * The create body: the request as the server checked it against the model catalogue (which stores it
 * with the model's defaults filled in); a job stored before that gets the same defaults here. Anything
 * else the catalogue forbids is Runway's 400 to answer.
 */
export function runwayBody(request: VideoRequest): Record<string, unknown> {
  const modelId = request.model ?? DEFAULT_VIDEO_MODEL[request.promptImage === undefined ? 'text' : 'image'];
  const model = videoModel(modelId);
  const ratio = request.ratio ?? model?.[request.promptImage === undefined ? 'text' : 'image']?.ratios[0];
  const duration = request.duration ?? model?.defaultDuration;
  const body: Record<string, unknown> = { model: modelId };
  if (ratio !== undefined) body['ratio'] = ratio;
  if (duration !== undefined) body['duration'] = duration;
  if (request.prompt !== undefined) body['promptText'] = request.prompt;
  if (request.promptImage !== undefined) body['promptImage'] = request.promptImage;
  if (request.seed !== undefined) body['seed'] = request.seed;
  return body;
}

function creditsOf(value: { credits?: unknown } | null | undefined): number | undefined {
  const credits = value?.credits;
  return typeof credits === 'number' && Number.isFinite(credits) && credits >= 0 ? credits : undefined;
}

function taskOf(task: TaskRetrieveResponse): ProviderTask {
  switch (task.status) {
    case 'PENDING':
      return { state: 'queued', estimatedCost: creditsOf(task.estimatedCost) };
    case 'THROTTLED':
      return { state: 'throttled', estimatedCost: creditsOf(task.estimatedCost) };
    case 'RUNNING':
      return {
        state: 'running',
        progress: typeof task.progress === 'number' ? clamp01(task.progress) : undefined,
        estimatedCost: creditsOf(task.estimatedCost),
      };
    case 'SUCCEEDED':
      return { state: 'succeeded', outputUrls: task.output, cost: creditsOf(task.cost) };
    case 'CANCELLED':
      return { state: 'cancelled', cost: creditsOf(task.cost) };
    case 'FAILED':
      return { state: 'failed', error: taskFailure(task.failureCode ?? undefined), cost: creditsOf(task.cost) };
  }
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}

/**
 * A failed task's error. Runway's `failure` text is not for users (its docs say so), and neither is a
 * moderation code: the message is a plain sentence of ours, the code stays in the error (and so in the
 * job, its status event's `error.code` and the log). `SAFETY.*` (moderation) and `ASSET.*` (bad input)
 * must not be retried, the rest may be.
 */
export function taskFailure(failureCode: string | undefined): ProviderError {
  const code = failureCode ?? 'INTERNAL';
  if (code.startsWith('SAFETY.')) {
    return new ProviderError({
      code,
      retryable: false,
      message: "The video provider's content rules refused this prompt or image. Change it and try again.",
    });
  }
  if (code.startsWith('ASSET.')) {
    return new ProviderError({
      code,
      retryable: false,
      message: 'The video provider could not use the image. Try another one.',
    });
  }
  return new ProviderError({
    code,
    retryable: true,
    message: 'The video provider could not make this video. Try again.',
  });
}

/**
 * A create call's error. Runway's retry table names 429, 502, 503 and 504 for retrying; any other 5xx
 * (a 500) is not retried: its task may or may not exist, so the job ends and is never resubmitted
 * (another paid task could start).
 */
export function createErrorOf(error: unknown): ProviderError {
  const failure = providerErrorOf(error);
  const status = error instanceof APIError ? (error.status ?? 0) : 0;
  if (failure.code === 'PROVIDER_UNAVAILABLE' && !RETRY_CREATE_STATUSES.has(status)) {
    return new ProviderError({
      code: 'PROVIDER_ERROR',
      retryable: false,
      message: `The provider answered ${status} to the create request; it may have started a task, so the job is not resubmitted (that could start a second paid task). Generate again to retry.`,
      cause: error,
    });
  }
  return failure;
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
