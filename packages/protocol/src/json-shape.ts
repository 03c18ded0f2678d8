import { MAX_DATA_DEPTH, MAX_DATA_NODES } from './constants.js';

/**
 * Nesting past which a frame is refused unparsed: twice what a valid frame has (the frame, its `data`, a
 * workspace update's `patch`, then `data` of MAX_DATA_DEPTH levels), so a frame only a little too deep
 * is parsed and gets the exact path of its problem from the schema.
 */
export const MAX_FRAME_DEPTH = 2 * (MAX_DATA_DEPTH + 3);
/**
 * Values past which a frame is refused unparsed: twice what a valid frame holds (a `data` of
 * MAX_DATA_NODES values or a reorder of as many ids, plus the envelope's few), for the same reason.
 */
export const MAX_FRAME_VALUES = 2 * (MAX_DATA_NODES + 64);

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Why the JSON text `raw` cannot be a valid frame by its shape alone, or undefined. One pass over the
 * characters that allocates nothing, run before `JSON.parse`: a text nested deeper than `maxDepth` or
 * holding more than `maxValues` values (counted from below: every `,` outside strings separates two
 * values, and every `[` or `{` is one) would make the parser build up to a million arrays or keys only for validation to refuse
 * them. Malformed text is left to `JSON.parse`.
 */
export function jsonShapeProblem(
  raw: string,
  maxDepth: number = MAX_FRAME_DEPTH,
  maxValues: number = MAX_FRAME_VALUES,
): string | undefined {
  let depth = 0;
  let commas = 0;
  let containers = 0;
  const length = raw.length;
  for (let i = 0; i < length; i += 1) {
    const c = raw.charCodeAt(i);
    if (c === QUOTE) {
      // skip the string: to the next quote not escaped
      for (i += 1; i < length; i += 1) {
        const s = raw.charCodeAt(i);
        if (s === BACKSLASH) i += 1;
        else if (s === QUOTE) break;
      }
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth += 1;
      containers += 1;
      if (depth > maxDepth) return `nested deeper than ${maxDepth} levels`;
      if (containers > maxValues) return `more than ${maxValues} values`;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth -= 1;
    } else if (c === COMMA) {
      commas += 1;
      if (commas + 1 > maxValues) return `more than ${maxValues} values`;
    }
  }
  return undefined;
}
