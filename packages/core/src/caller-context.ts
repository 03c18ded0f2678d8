import type { Origin } from '@app/protocol';
import type { Sequencer } from './keyed-queue.js';

/** For reads: ordering and authorization. */
export interface ReadContext {
  /** Keeps this caller's requests in arrival order (one per connection). */
  sequencer?: Sequencer | undefined;
  /** Throws (FORBIDDEN) when the caller may not use the project; called once the project is known. */
  authorize?: ((projectId: string) => void) | undefined;
}

/** Who asks, for idempotency and `origin`. */
export interface MutationContext extends ReadContext {
  /** Authenticated subject; all anonymous callers share one. */
  subject: string;
  requestId?: string | undefined;
  origin?: Origin | undefined;
}
