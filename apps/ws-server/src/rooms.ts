import { encodeEvent, type ServerEvent } from '@app/protocol';
import type { EventBus } from '@app/core';
import type { Subscription } from './subscription.js';

interface Room {
  subscriptions: Set<Subscription>;
  stopListening: () => void;
}

/**
 * projectId -> subscriptions on this node. One bus listener per project with local subscribers;
 * each event is encoded once and the same text goes to every subscriber.
 */
export class Rooms {
  private readonly rooms = new Map<string, Room>();

  constructor(private readonly bus: EventBus) {}

  add(subscription: Subscription): void {
    let room = this.rooms.get(subscription.projectId);
    if (room === undefined) {
      const projectId = subscription.projectId;
      const created: Room = { subscriptions: new Set(), stopListening: () => {} };
      created.stopListening = this.bus.subscribe(projectId, (event) => this.fanOut(created, event));
      this.rooms.set(projectId, created);
      room = created;
    }
    room.subscriptions.add(subscription);
  }

  remove(subscription: Subscription): void {
    const room = this.rooms.get(subscription.projectId);
    if (room === undefined || !room.subscriptions.delete(subscription)) return;
    if (room.subscriptions.size === 0) {
      room.stopListening();
      this.rooms.delete(subscription.projectId);
    }
  }

  /** Projects with local subscribers, and subscriptions in total (for leak checks and metrics). */
  get counts(): { projects: number; subscriptions: number } {
    let subscriptions = 0;
    for (const room of this.rooms.values()) subscriptions += room.subscriptions.size;
    return { projects: this.rooms.size, subscriptions };
  }

  private fanOut(room: Room, event: ServerEvent): void {
    const text = encodeEvent(event);
    for (const subscription of room.subscriptions) subscription.deliver(event.seq, text);
  }
}
