import type { ServerEvent } from '@app/protocol';
import type { EventBus, EventListener } from './event-bus.js';

/** The bus of a single process: synchronous delivery in publish order. */
export class InProcessBus implements EventBus {
  private readonly listeners = new Map<string, Set<EventListener>>();

  publish(event: ServerEvent): void {
    const set = this.listeners.get(event.projectId);
    if (set === undefined) return;
    for (const listener of [...set]) listener(event);
  }

  subscribe(projectId: string, listener: EventListener): () => void {
    let set = this.listeners.get(projectId);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(projectId, set);
    }
    set.add(listener);
    return () => {
      const current = this.listeners.get(projectId);
      if (current === undefined) return;
      current.delete(listener);
      if (current.size === 0) this.listeners.delete(projectId);
    };
  }

  /** An in-process bus never loses messages, so it never calls the listener. */
  onReconnect(_listener: () => void): () => void {
    return () => {};
  }

  /** Number of projects with at least one listener (for leak checks). */
  get projectCount(): number {
    return this.listeners.size;
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
