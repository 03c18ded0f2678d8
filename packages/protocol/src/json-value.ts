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

/**
 * Checks that `value` is a JSON object every MongoDB-compatible database stores the same way.
 * Iterative (no recursion), so hostile nesting cannot overflow the stack; stops at the first problem.
 */
export function checkJsonObject(value: unknown, limits: JsonLimits = DEFAULT_JSON_LIMITS): JsonIssue | undefined {
  if (!isPlainObject(value)) return { path: [], message: 'expected a JSON object' };
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  let nodes = 0;
  let bytes = 0;
  while (stack.length > 0) {
    const { value: current, path } = stack.pop()!;
    nodes += 1;
    if (nodes > limits.maxNodes) return { path, message: `more than ${limits.maxNodes} values` };
    if (path.length + 1 > limits.maxDepth && typeof current === 'object' && current !== null) {
      return { path, message: `nested deeper than ${limits.maxDepth} levels` };
    }
    if (typeof current === 'string') {
      if (current.length > limits.maxStringLength) {
        return { path, message: `string longer than ${limits.maxStringLength} characters` };
      }
      if (current.includes('\u0000')) return { path, message: 'strings must not contain NUL' };
      bytes += current.length + 2;
    } else if (typeof current === 'number') {
      if (!Number.isFinite(current)) return { path, message: 'numbers must be finite' };
      bytes += 8;
    } else if (typeof current === 'boolean' || current === null) {
      bytes += 4;
    } else if (Array.isArray(current)) {
      bytes += 2;
      for (let i = current.length - 1; i >= 0; i -= 1) stack.push({ value: current[i], path: [...path, i] });
    } else if (isPlainObject(current)) {
      bytes += 2;
      for (const key of Object.keys(current)) {
        const problem = keyProblem(key);
        if (problem !== undefined) return { path: [...path, key], message: problem };
        if (key.length > limits.maxStringLength) return { path, message: 'key too long' };
        bytes += key.length + 3;
        stack.push({ value: current[key], path: [...path, key] });
      }
    } else {
      return { path, message: 'not a JSON value' };
    }
    if (bytes > limits.maxBytes) return { path, message: `larger than ${limits.maxBytes} bytes` };
  }
  return undefined;
}
