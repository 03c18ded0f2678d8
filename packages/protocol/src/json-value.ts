import { MAX_DATA_BYTES, MAX_DATA_DEPTH, MAX_DATA_NODES, MAX_DATA_STRING_LENGTH } from './constants.js';

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface JsonIssue {
  path: (string | number)[];
  message: string;
}

export interface JsonLimits {
  maxDepth: number;
  maxNodes: number;
  maxStringLength: number;
  maxBytes: number;
}

export const DEFAULT_JSON_LIMITS: JsonLimits = {
  maxDepth: MAX_DATA_DEPTH,
  maxNodes: MAX_DATA_NODES,
  maxStringLength: MAX_DATA_STRING_LENGTH,
  maxBytes: MAX_DATA_BYTES,
};

/**
 * Why a key cannot be stored, or undefined when it can. Keys that would mean operators or paths to
 * MongoDB are refused; any other name is data, `__proto__`, `constructor` and `toString` included:
 * `JSON.parse` makes them own properties, and the server stores `data` as its JSON text
 * (docs/decisions/0004-client-values-stored-as-json-text.md).
 */
function keyProblem(key: string): string | undefined {
  if (key.startsWith('$')) return 'keys must not start with "$"';
  if (key.includes('.')) return 'keys must not contain "."';
  if (key.includes('\u0000')) return 'keys must not contain NUL';
  return undefined;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** One open array or object of the walk: its keys (objects only) and the index of the next child. */
interface OpenContainer {
  container: unknown[] | Record<string, unknown>;
  keys: string[] | undefined;
  next: number;
}

/** The path of the child last reached in each open container, built only for an error message. */
function pathOf(open: OpenContainer[]): (string | number)[] {
  return open.map(({ keys, next }) => (keys === undefined ? next - 1 : keys[next - 1]!));
}

/**
 * Checks that `value` is a JSON object every MongoDB-compatible database stores the same way; stops at
 * the first problem, in depth-first order (a key is checked when the walk reaches it).
 *
 * The cost is bounded by the limits, not by the value: each value is counted as it is reached, so the
 * walk stops after at most `maxNodes` values, `maxBytes` of text and `maxDepth` open containers,
 * however many elements a hostile array holds. Nothing is allocated per child: the walk keeps one
 * entry per open container (at most `maxDepth`) and builds a path only for the error it returns.
 * Iterative (no recursion), so hostile nesting cannot overflow the stack.
 */
export function checkJsonObject(value: unknown, limits: JsonLimits = DEFAULT_JSON_LIMITS): JsonIssue | undefined {
  if (!isPlainObject(value)) return { path: [], message: 'expected a JSON object' };
  if (limits.maxDepth < 1) return { path: [], message: `nested deeper than ${limits.maxDepth} levels` };
  const open: OpenContainer[] = [{ container: value, keys: Object.keys(value), next: 0 }];
  let nodes = 1;
  let bytes = 2;
  if (bytes > limits.maxBytes) return { path: [], message: `larger than ${limits.maxBytes} bytes` };
  while (open.length > 0) {
    const top = open[open.length - 1]!;
    const { container, keys } = top;
    const index = top.next;
    if (index >= (keys === undefined ? (container as unknown[]).length : keys.length)) {
      open.pop();
      continue;
    }
    top.next = index + 1;
    let current: unknown;
    if (keys === undefined) {
      current = (container as unknown[])[index];
    } else {
      const key = keys[index]!;
      const problem = keyProblem(key);
      if (problem !== undefined) return { path: pathOf(open), message: problem };
      if (key.length > limits.maxStringLength) {
        return { path: pathOf(open).slice(0, -1), message: 'key too long' };
      }
      bytes += key.length + 3;
      current = (container as Record<string, unknown>)[key];
    }
    nodes += 1;
    if (nodes > limits.maxNodes) return { path: pathOf(open), message: `more than ${limits.maxNodes} values` };
    if (typeof current === 'string') {
      if (current.length > limits.maxStringLength) {
        return { path: pathOf(open), message: `string longer than ${limits.maxStringLength} characters` };
      }
      if (current.includes('\u0000')) return { path: pathOf(open), message: 'strings must not contain NUL' };
      bytes += current.length + 2;
    } else if (typeof current === 'number') {
      if (!Number.isFinite(current)) return { path: pathOf(open), message: 'numbers must be finite' };
      bytes += 8;
    } else if (typeof current === 'boolean' || current === null) {
      bytes += 4;
    } else if (Array.isArray(current) || isPlainObject(current)) {
      if (open.length + 1 > limits.maxDepth) {
        return { path: pathOf(open), message: `nested deeper than ${limits.maxDepth} levels` };
      }
      bytes += 2;
      if (bytes > limits.maxBytes) return { path: pathOf(open), message: `larger than ${limits.maxBytes} bytes` };
      open.push({ container: current, keys: Array.isArray(current) ? undefined : Object.keys(current), next: 0 });
      continue;
    } else {
      return { path: pathOf(open), message: 'not a JSON value' };
    }
    if (bytes > limits.maxBytes) return { path: pathOf(open), message: `larger than ${limits.maxBytes} bytes` };
  }
  return undefined;
}
