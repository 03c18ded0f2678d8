/** Why a provider call or task failed, with whether trying again can help. */
export interface ProviderErrorInit {
  /** Stable code: the provider's failure code (`SAFETY.INPUT.TEXT`) or ours (`RATE_LIMITED`, `TIMEOUT`, ...). */
  code: string;
  message: string;
  /** True when the same call may succeed later (429, 5xx, a timeout of a read). */
  retryable: boolean;
  /** How long the provider asked us to wait (429 `Retry-After`). */
  retryAfterMs?: number | undefined;
  cause?: unknown;
}

/** The one error type a {@link VideoProvider} throws. Its message is safe to show; it never holds a key. */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly code: string;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(init: ProviderErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.retryable = init.retryable;
    this.retryAfterMs = init.retryAfterMs;
  }

  /** The error as a job and `video.status_update` carry it. */
  toJSON(): { code: string; message: string; retryable: boolean } {
    return { code: this.code, message: this.message, retryable: this.retryable };
  }
}
