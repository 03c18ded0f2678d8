import { MAX_DATA_DEPTH, MAX_DATA_NODES } from './constants.js';

/**
 * The deepest nesting a valid request frame has: the frame, its `data`, a workspace update's `patch`,
 * then `data` of MAX_DATA_DEPTH levels (whose first level is the third or fourth of the frame).
 */
export const MAX_FRAME_DEPTH = MAX_DATA_DEPTH + 3;
/**
 * Most values a valid request frame holds: a `data` of MAX_DATA_NODES values or a reorder of as many ids,
 * plus the envelope's few.
 */
export const MAX_FRAME_VALUES = MAX_DATA_NODES + 64;

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
 * values) would make the parser build up to a million arrays or keys only for validation to refuse
 * them. Malformed text is left to `JSON.parse`.
 */
export function jsonShapeProblem(
  raw: string,
  maxDepth: number = MAX_FRAME_DEPTH,
  maxValues: number = MAX_FRAME_VALUES,
): string | undefined {
  let depth = 0;
  let commas = 0;
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
      if (depth > maxDepth) return `nested deeper than ${maxDepth} levels`;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth -= 1;
    } else if (c === COMMA) {
      commas += 1;
      if (commas + 1 > maxValues) return `more than ${maxValues} values`;
    }
  }
  return undefined;
}
