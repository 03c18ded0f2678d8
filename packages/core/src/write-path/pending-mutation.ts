import type { Origin } from '@app/protocol';
import type { PlanOutcome, PlanView } from './plans.js';

/** A mutation waiting in its project's batch: how to plan it, and how to answer its caller. */
export interface PendingMutation {
  /** Hash of the request's type and data (see `requestHash`), to refuse a request id reused for another request. */
  hash: string;
  /** Idempotency key (see `EventLog.requestKey`); undefined when the request had no id. */
  key: string | undefined;
  origin: Origin | undefined;
  plan: (view: PlanView) => PlanOutcome;
  resolve: (data: unknown) => void;
  reject: (error: unknown) => void;
}

/** Answers a mutation with `result()`, or with the error it throws. */
export function settle(item: PendingMutation, result: () => unknown): void {
  try {
    item.resolve(result());
  } catch (error) {
    item.reject(error);
  }
}
