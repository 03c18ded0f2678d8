import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { KeyedTokenBuckets, type Budget, type Logger, type ReadContext } from '@app/core';
import { MAX_VIDEO_PROMPT_LENGTH, ProtocolError, type AckData, type ParsedRequestData } from '@app/protocol';
import { MAX_REFUSAL_CHARS, SDK_MAX_RETRIES } from './constants.js';
import { enhancedPromptSchema, instructionsFor } from './enhanced-prompt.js';
import type { PromptMetrics } from './prompt-metrics.js';
import { toProviderFailure } from './provider-error.js';

export type EnhanceInput = ParsedRequestData<'prompt.enhance'>;
export type EnhanceResult = AckData<'prompt.enhance'>;

/** Who asks: the subject the rate limit counts, and the project check of a workspace the request names. */
export interface EnhanceCaller extends ReadContext {
  subject: string;
}

/** Looks a workspace up for the caller: throws NOT_FOUND when it does not exist or its project is not allowed. */
export interface WorkspaceLookup {
  get(id: string, ctx: ReadContext): Promise<unknown>;
}

/** The per-subject token bucket: PROMPT_RATE_LIMIT_PER_MIN / PROMPT_RATE_LIMIT_BURST. */
export interface PromptRateLimit {
  perMinute: number;
  burst: number;
}

export interface PromptHelperOptions {
  /** The provider; undefined when none is configured: every request answers UNAVAILABLE with `unconfiguredMessage`. */
  provider: { apiKey: string; baseUrl?: string | undefined; model: string } | undefined;
  /** Why there is no provider, as the caller is told. */
  unconfiguredMessage?: string;
  /** PROMPT_TIMEOUT_MS: one model call's whole budget. */
  timeoutMs: number;
  /** `false`: no limit (tests of other things). */
  rateLimit: PromptRateLimit | false;
  logger: Logger;
  /** Checks a `workspaceId` the request names; without it such requests are refused. */
  workspaces?: WorkspaceLookup | undefined;
  metrics?: PromptMetrics | undefined;
  /** The rate limit's clock (ms, monotonic); tests pass a fake one. */
  now?: () => number;
  /** Budgets shared by every node, checked after the per-node bucket: per subject, and the deployment's (key `*`). */
  budgets?: { perSubject?: Budget | undefined; deployment?: Budget | undefined } | undefined;
  /** PROMPT_MAX_TOKENS: `max_tokens` of each model call (what one call can cost at most). */
  maxTokens?: number | undefined;
}

const NOT_CONFIGURED =
  'prompt.enhance is not configured on this server: set OPENAI_API_KEY (or OPENAI_BASE_URL for an OpenAI-compatible endpoint)';

/**
 * The LLM service: rewrites a video prompt through the official `openai` SDK (Chat Completions with
 * a zod structured output). Owns the per-subject rate limit and turns every provider failure into a
 * typed protocol error, so a handler only passes requests in and answers out.
 */
export class PromptHelper {
  private readonly client: OpenAI | undefined;
  private readonly model: string;
  private readonly buckets: KeyedTokenBuckets | undefined;
  private readonly logger: Logger;
  private readonly responseFormat = zodResponseFormat(enhancedPromptSchema, 'enhanced_prompt');

  constructor(private readonly options: PromptHelperOptions) {
    this.logger = options.logger.child({ module: 'prompt' });
    const { provider } = options;
    this.model = provider?.model ?? '';
    if (provider !== undefined) {
      this.client = new OpenAI({
        apiKey: provider.apiKey,
        ...(provider.baseUrl === undefined ? {} : { baseURL: provider.baseUrl }),
        timeout: options.timeoutMs,
        maxRetries: SDK_MAX_RETRIES,
        logLevel: 'warn',
        logger: sdkLogger(this.logger),
      });
    }
    this.logger.info(
      provider === undefined
        ? 'prompt.enhance is off: no OPENAI_API_KEY or OPENAI_BASE_URL (it answers UNAVAILABLE)'
        : `prompt.enhance uses ${provider.model} at ${provider.baseUrl === undefined ? 'OpenAI' : originOf(provider.baseUrl)}`,
    );
    if (options.rateLimit !== false) {
      this.buckets = new KeyedTokenBuckets({
        ratePerSec: options.rateLimit.perMinute / 60,
        burst: options.rateLimit.burst,
        ...(options.now === undefined ? {} : { now: options.now }),
      });
    }
  }

  /** True when a provider is configured (else every request answers UNAVAILABLE). */
  get configured(): boolean {
    return this.client !== undefined;
  }

  /**
   * Rewrites `input.prompt`. Throws ProtocolError: RATE_LIMITED (this subject's limit,
   * `details.retryAfterMs`), NOT_FOUND (a `workspaceId` the caller cannot see), UNAVAILABLE (not
   * configured; the provider down, slow or rate-limited: `details.retryAfterMs`), PROVIDER_ERROR (an
   * answer that cannot be used).
   */
  async enhance(input: EnhanceInput, caller: EnhanceCaller): Promise<EnhanceResult> {
    const started = performance.now();
    try {
      const result = await this.run(input, caller);
      this.options.metrics?.latency.cell('ok').observe((performance.now() - started) / 1000);
      return result;
    } catch (error) {
      const code = error instanceof ProtocolError ? error.code : 'INTERNAL';
      this.options.metrics?.latency.cell(code).observe((performance.now() - started) / 1000);
      this.options.metrics?.errors.inc(code);
      throw error;
    }
  }

  private async run(input: EnhanceInput, caller: EnhanceCaller): Promise<EnhanceResult> {
    const { client } = this;
    if (client === undefined) {
      throw new ProtocolError('UNAVAILABLE', this.options.unconfiguredMessage ?? NOT_CONFIGURED);
    }
    const retryAfterMs = this.buckets?.take(caller.subject) ?? 0;
    if (retryAfterMs > 0) {
      throw new ProtocolError('RATE_LIMITED', 'Too many prompt.enhance requests; retry later', {
        details: { retryAfterMs },
      });
    }
    await this.options.budgets?.perSubject?.consume(caller.subject);
    await this.options.budgets?.deployment?.consume('*');
    if (input.workspaceId !== undefined) {
      if (this.options.workspaces === undefined) {
        throw new ProtocolError('NOT_FOUND', `Workspace ${input.workspaceId} not found`);
      }
      await this.options.workspaces.get(input.workspaceId, caller);
    }
    this.logger.debug(
      `prompt.enhance for ${caller.subject}: ${JSON.stringify(input.prompt)}${input.style === undefined ? '' : ` in style ${JSON.stringify(input.style)}`}`,
    );
    const started = performance.now();
    const completion = await client.chat.completions
      .parse({
        model: this.model,
        messages: [
          { role: 'system', content: instructionsFor(input.style) },
          { role: 'user', content: input.prompt },
        ],
        response_format: this.responseFormat,
        ...(this.options.maxTokens === undefined ? {} : { max_tokens: this.options.maxTokens }),
      })
      .catch((error: unknown) => {
        throw this.failed(error, started);
      });
    const message = completion.choices[0]?.message;
    const requestId = completion._request_id ?? undefined;
    if (message?.refusal) {
      this.logger.warn(`prompt.enhance: the model refused (request ${requestId ?? 'unknown'})`);
      throw new ProtocolError(
        'PROVIDER_ERROR',
        `The language model declined: ${message.refusal.slice(0, MAX_REFUSAL_CHARS)}`,
      );
    }
    const parsed = message?.parsed ?? null;
    const prompt = parsed?.prompt.trim() ?? '';
    // Never offered: a prompt video.generate would refuse (the longest any video model takes).
    if (prompt === '' || prompt.length > MAX_VIDEO_PROMPT_LENGTH) {
      this.logger.warn(`prompt.enhance: unusable answer (request ${requestId ?? 'unknown'})`);
      throw new ProtocolError(
        'PROVIDER_ERROR',
        prompt === ''
          ? 'The language model’s answer has no prompt'
          : `The language model’s prompt is longer than the ${MAX_VIDEO_PROMPT_LENGTH} characters a video model takes; ask again`,
      );
    }
    this.logger.info(
      `prompt.enhance answered in ${Math.round(performance.now() - started)} ms (model ${this.model}${requestId ? `, request ${requestId}` : ''})`,
    );
    const notes = parsed?.notes?.trim();
    return notes === undefined || notes === '' ? { prompt } : { prompt, notes };
  }

  /** Logs a failed model call (status and request id, never the provider's text) and returns the error to throw. */
  private failed(error: unknown, started: number): ProtocolError {
    const failure = toProviderFailure(error, this.options.timeoutMs);
    const request = failure.requestId === undefined ? '' : `, request ${failure.requestId}`;
    const http = failure.status === undefined ? '' : ` (HTTP ${failure.status}${request})`;
    const line = `prompt.enhance failed after ${Math.round(performance.now() - started)} ms: ${failure.error.code}: ${failure.error.message}${http}`;
    if (failure.error.code === 'INTERNAL') this.logger.error(`${line}: ${describe(error)}`);
    else this.logger.warn(line);
    return failure.error;
  }
}

/** The SDK's own warnings and errors, through our logger (which redacts); never the console. */
function sdkLogger(logger: Logger): NonNullable<ConstructorParameters<typeof OpenAI>[0]>['logger'] {
  const line = (message: string): string => `openai: ${message}`;
  return {
    error: (message: string) => logger.error(line(message)),
    warn: (message: string) => logger.warn(line(message)),
    info: (message: string) => logger.debug(line(message)),
    debug: (message: string) => logger.debug(line(message)),
  };
}

/** Scheme, host and port only: a base URL could carry credentials. */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'an unreadable OPENAI_BASE_URL';
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
