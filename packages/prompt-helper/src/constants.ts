/**
 * Retries the SDK makes itself: none. prompt.enhance is interactive and has one time budget
 * (PROMPT_TIMEOUT_MS); the SDK's two retries with back-off would triple a hung call's wait and
 * hide a provider that is down or rate-limited. The caller gets UNAVAILABLE with `retryAfterMs` at
 * once and decides (`@app/client` and people alike).
 */
export const SDK_MAX_RETRIES = 0;

/** `retryAfterMs` when the provider is down or rate-limited and did not say when to come back. */
export const DEFAULT_RETRY_AFTER_MS = 5_000;

/** Longest `retryAfterMs` passed on (a provider's daily limit can say hours; the caller can ask again later). */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;

/** The key sent to an OPENAI_BASE_URL endpoint when OPENAI_API_KEY is unset (the simulator takes any key). */
export const PLACEHOLDER_API_KEY = 'placeholder-key-for-a-compatible-endpoint';

/** Longest refusal text of the model passed on in an error message. */
export const MAX_REFUSAL_CHARS = 200;
