import { encodeEvent, type ServerEvent } from '@app/protocol';

const frames = new WeakMap<ServerEvent, string>();

/**
 * The text frame of an event, encoded once per event object: live delivery, every replay and every
 * gap repair of an event the core holds in memory (its recent events, `EventTail`) share one
 * encoding, so a resume storm of many clients costs one JSON encoding per event, not one per client.
 */
export function encodeEventOnce(event: ServerEvent): string {
  let frame = frames.get(event);
  if (frame === undefined) {
    frame = encodeEvent(event);
    frames.set(event, frame);
  }
  return frame;
}
