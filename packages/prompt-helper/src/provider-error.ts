import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  ContentFilterFinishReasonError,
  LengthFinishReasonError,
} from 'openai/error';
import { z } from 'zod';
import { ProtocolError, issuesOf, toProtocolError } from '@app/protocol';
import { DEFAULT_RETRY_AFTER_MS } from './constants.js';
import { retryAfterMsOf } from './retry-after.js';

/** What the log may say about a failed provider call: status and request id, never the provider's text or the key. */
export interface ProviderFailure {
  error: ProtocolError;
  /** HTTP status of the provider's answer, when there was one. */
  status?: number | undefined;
  /** The provider's request id (`x-request-id`), for its support. */
  requestId?: string | undefined;
}

/**
 * Maps what the `openai` SDK throws to the protocol's errors. The provider down, overloaded, slow or
 * rate-limited is `UNAVAILABLE` with `details.retryAfterMs`; an answer that cannot be used (not
 * JSON, not the schema, cut off, filtered, a refused request) is `PROVIDER_ERROR`; anything else is
 * `INTERNAL`. The provider's own message is never passed on (a 401's names part of the key).
 */
export function toProviderFailure(error: unknown, timeoutMs: number): ProviderFailure {
  if (error instanceof ProtocolError) return { error };
  if (error instanceof APIConnectionTimeoutError) {
    return unavailable(`The language model did not answer within ${timeoutMs} ms`, DEFAULT_RETRY_AFTER_MS, error);
  }
  if (error instanceof APIConnectionError) {
    return unavailable('The language model could not be reached', DEFAULT_RETRY_AFTER_MS, error);
  }
  if (error instanceof APIError) {
    const status = typeof error.status === 'number' ? error.status : undefined;
    const requestId = error.requestID ?? undefined;
    const retryAfterMs = retryAfterMsOf(error.headers);
    const problem = configurationProblem(error, status);
    if (problem !== undefined) return { error: problem, status, requestId };
    if (status === 429) {
      return {
        ...unavailable('The language model is rate-limited; retry later', retryAfterMs, error),
        status,
        requestId,
      };
    }
    if (status === 401 || status === 403) {
      // No cause kept: the provider's message names part of the key.
      const message = 'The language model refused this server’s credentials (OPENAI_API_KEY)';
      return { error: new ProtocolError('UNAVAILABLE', message), status, requestId };
    }
    if (status === undefined || status >= 500 || status === 408 || status === 409) {
      const what = status === undefined ? 'failed' : `answered HTTP ${status}`;
      return { ...unavailable(`The language model ${what}; retry later`, retryAfterMs, error), status, requestId };
    }
    const message = `The language model refused the request (HTTP ${status})`;
    return { error: new ProtocolError('PROVIDER_ERROR', message, { cause: error }), status, requestId };
  }
  if (error instanceof LengthFinishReasonError) {
    return providerError('The language model’s answer was cut off before it was complete', error);
  }
  if (error instanceof ContentFilterFinishReasonError) {
    return providerError('The language model’s answer was withheld by its content filter', error);
  }
  if (error instanceof SyntaxError) {
    return providerError('The language model’s answer is not JSON', error);
  }
  if (error instanceof z.ZodError) {
    return {
      error: new ProtocolError('PROVIDER_ERROR', 'The language model’s answer does not have the expected fields', {
        cause: error,
        details: { issues: issuesOf(error) },
      }),
    };
  }
  return { error: toProtocolError(error) };
}

/**
 * A failure only an operator can fix, so asking again does not help: the account out of credit (a 429
 * whose code is `insufficient_quota`, not a rate limit), or a model this server is set to use that does
 * not exist for its key (404, or 400 `model_not_found` / invalid model). UNAVAILABLE without
 * `retryAfterMs`, `details.retryable: false` and the reason.
 */
function configurationProblem(
  error: InstanceType<typeof APIError>,
  status: number | undefined,
): ProtocolError | undefined {
  const code = typeof error.code === 'string' ? error.code : undefined;
  if (code === 'insufficient_quota') {
    return new ProtocolError(
      'UNAVAILABLE',
      'The language model account of this server has no quota left (insufficient_quota); asking again will not help until an operator adds credit',
      { cause: error, details: { retryable: false, reason: 'insufficient_quota' } },
    );
  }
  if (status === 404 || code === 'model_not_found' || (status === 400 && code === 'invalid_model')) {
    return new ProtocolError(
      'UNAVAILABLE',
      'The language model this server is set to use (OPENAI_MODEL) does not exist or its key may not use it; asking again will not help until an operator fixes the setting',
      { cause: error, details: { retryable: false, reason: 'model_not_found' } },
    );
  }
  return undefined;
}

function unavailable(message: string, retryAfterMs: number, cause: unknown): ProviderFailure {
  return { error: new ProtocolError('UNAVAILABLE', message, { cause, details: { retryAfterMs } }) };
}

function providerError(message: string, cause: unknown): ProviderFailure {
  return { error: new ProtocolError('PROVIDER_ERROR', message, { cause }) };
}
