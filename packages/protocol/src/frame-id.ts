import { requestIdSchema } from './workspace.js';

/** How far into a frame the id of a refused frame is looked for: clients send `type`, `id`, then `data`. */
export const ID_PREFIX_BYTES = 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;

/**
 * The request id of a frame refused before parsing (rate limit, shape), read from the first `ID_PREFIX_BYTES`
 * of its text only: the top-level `"id"` string when it lies within them and is a valid request id,
 * else undefined. Costs at most one pass over the prefix, never a parse of the frame.
 */
export function frameIdFromPrefix(prefix: string): string | undefined {
  let depth = 0;
  for (let i = 0; i < prefix.length; i += 1) {
    const c = prefix.charCodeAt(i);
    if (c === QUOTE) {
      const start = i;
      for (i += 1; i < prefix.length; i += 1) {
        const s = prefix.charCodeAt(i);
        if (s === BACKSLASH) i += 1;
        else if (s === QUOTE) break;
      }
      if (i >= prefix.length) return undefined;
      if (depth !== 1 || prefix.slice(start, i + 1) !== '"id"') continue;
      let j = i + 1;
      while (j < prefix.length && /\s/.test(prefix[j]!)) j += 1;
      if (prefix.charCodeAt(j) !== COLON) continue;
      j += 1;
      while (j < prefix.length && /\s/.test(prefix[j]!)) j += 1;
      if (prefix.charCodeAt(j) !== QUOTE) return undefined;
      let end = j + 1;
      for (; end < prefix.length; end += 1) {
        const s = prefix.charCodeAt(end);
        if (s === BACKSLASH) end += 1;
        else if (s === QUOTE) break;
      }
      if (end >= prefix.length) return undefined;
      let value: unknown;
      try {
        value = JSON.parse(prefix.slice(j, end + 1)); // one short string
      } catch {
        return undefined;
      }
      const id = requestIdSchema.safeParse(value);
      return id.success ? id.data : undefined;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth += 1;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth -= 1;
    }
  }
  return undefined;
}
