import type { ServerEvent } from '@app/protocol';

export type EventListener = (event: ServerEvent) => void;

/**
 * Carries stored events to every node's subscribers. It is a doorbell, not the record: a node that
 * misses a message repairs the gap from the event log.
 */
export interface EventBus {
  publish(event: ServerEvent): void;
  /** Listens to one project's events; returns the function that stops listening. */
  subscribe(projectId: string, listener: EventListener): () => void;
  /**
   * Called whenever the bus may have lost messages and is receiving again (a Redis subscriber
   * reconnected and resubscribed). Listeners should backfill from the event log. Buses that cannot
   * lose messages never call it. Returns the function that stops listening.
   */
  onReconnect?(listener: () => void): () => void;
  close(): Promise<void>;
}
