import type { Origin, ServerEvent } from '@app/protocol';
import type { EventDoc } from './db/models.js';

/** The wire form of each stored event held in memory: one object per event, so its frame is encoded once (see ws-server's `encodeEventOnce`). */
const wireEvents = new WeakMap<EventDoc, ServerEvent>();

/** The wire form of a stored event; the same object every time for the same event (treat it as read-only). */
export function toServerEvent(event: EventDoc): ServerEvent {
  const known = wireEvents.get(event);
  if (known !== undefined) return known;
  const wire = { type: event.type, projectId: event.projectId, seq: event.seq, data: event.data } as ServerEvent;
  if (event.origin !== undefined && event.origin !== null) wire.origin = event.origin as Origin;
  wireEvents.set(event, wire);
  return wire;
}
