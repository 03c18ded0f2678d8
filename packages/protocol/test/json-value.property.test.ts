// Hostile shapes against checkJsonObject: its answer equals a plain recursive reference of the same rules,
// and the work it does is bounded by the limits, not by the value (it reads at most maxNodes children,
// however wide an array or object is). FC_SEED replays one run, FC_RUNS sets the number of runs,
// FC_LONG=1 runs longer.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkJsonObject, isPlainObject, type JsonIssue, type JsonLimits } from '../src/json-value.js';

const seed = process.env['FC_SEED'] === undefined ? undefined : Number(process.env['FC_SEED']);
const numRuns = Number(process.env['FC_RUNS'] ?? (process.env['FC_LONG'] === '1' ? 20_000 : 1_500));
const params = { numRuns, ...(seed === undefined ? {} : { seed }) };

/** The rules of checkJsonObject written the obvious way: recursive, eager, with a path per child. */
function reference(value: unknown, limits: JsonLimits): JsonIssue | undefined {
  if (!isPlainObject(value)) return { path: [], message: 'expected a JSON object' };
  if (limits.maxDepth < 1) return { path: [], message: `nested deeper than ${limits.maxDepth} levels` };
  let nodes = 1;
  let bytes = 2;
  const tooLarge = (path: (string | number)[]): JsonIssue => ({
    path,
    message: `larger than ${limits.maxBytes} bytes`,
  });
  if (bytes > limits.maxBytes) return tooLarge([]);
  const visit = (container: object, path: (string | number)[]): JsonIssue | undefined => {
    const entries: [string | number, unknown][] = Array.isArray(container)
      ? container.map((child: unknown, i) => [i, child])
      : Object.keys(container).map((key) => [key, (container as Record<string, unknown>)[key]]);
    for (const [key, child] of entries) {
      const at = [...path, key];
      if (typeof key === 'string') {
        if (key.startsWith('$')) return { path: at, message: 'keys must not start with "$"' };
        if (key.includes('.')) return { path: at, message: 'keys must not contain "."' };
        if (key.includes('\u0000')) return { path: at, message: 'keys must not contain NUL' };
        if (key.length > limits.maxStringLength) return { path, message: 'key too long' };
        bytes += key.length + 3;
      }
      nodes += 1;
      if (nodes > limits.maxNodes) return { path: at, message: `more than ${limits.maxNodes} values` };
      if (typeof child === 'string') {
        if (child.length > limits.maxStringLength) {
          return { path: at, message: `string longer than ${limits.maxStringLength} characters` };
        }
        if (child.includes('\u0000')) return { path: at, message: 'strings must not contain NUL' };
        bytes += child.length + 2;
      } else if (typeof child === 'number') {
        if (!Number.isFinite(child)) return { path: at, message: 'numbers must be finite' };
        bytes += 8;
      } else if (typeof child === 'boolean' || child === null) {
        bytes += 4;
      } else if (Array.isArray(child) || isPlainObject(child)) {
        if (at.length + 1 > limits.maxDepth)
          return { path: at, message: `nested deeper than ${limits.maxDepth} levels` };
        bytes += 2;
        if (bytes > limits.maxBytes) return tooLarge(at);
        const issue = visit(child as object, at);
        if (issue !== undefined) return issue;
        continue;
      } else {
        return { path: at, message: 'not a JSON value' };
      }
      if (bytes > limits.maxBytes) return tooLarge(at);
    }
    return undefined;
  };
  return visit(value, []);
}

/** The same value with every array and object behind a proxy that counts reads of children. */
function counted(value: unknown, reads: { count: number }): unknown {
  if (!Array.isArray(value) && !isPlainObject(value)) return value;
  const copy: unknown = Array.isArray(value)
    ? value.map((child: unknown) => counted(child, reads))
    : Object.fromEntries(Object.entries(value).map(([key, child]) => [key, counted(child, reads)]));
  return new Proxy(copy as object, {
    get(target, property, receiver) {
      if (property !== 'length' && typeof property === 'string') reads.count += 1;
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
}

const key = fc.oneof(
  { weight: 6, arbitrary: fc.string({ maxLength: 6 }) },
  { weight: 1, arbitrary: fc.constantFrom('$set', 'a.b', 'a\u0000', '__proto__', 'constructor', '') },
  { weight: 1, arbitrary: fc.string({ minLength: 10, maxLength: 40 }) },
);
const scalar = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<unknown>(0, 1.5, -1, true, false, null) },
  { weight: 3, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ minLength: 20, maxLength: 80 }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>('a\u0000b', Infinity, Number.NaN, undefined, () => 1, new Date(0)) },
);
const { value: hostile } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 5, arbitrary: scalar },
    // wide arrays of one repeated value (the shape of "500,000 zeros")
    {
      weight: 1,
      arbitrary: fc.tuple(scalar, fc.nat({ max: 300 })).map(([v, n]) => Array.from({ length: n }, () => v)),
    },
    // deep chains ending in anything
    {
      weight: 1,
      arbitrary: fc.tuple(tie('value'), fc.nat({ max: 12 }), fc.boolean()).map(([leaf, depth, arrays]) => {
        let v = leaf;
        for (let i = 0; i < depth; i += 1) v = arrays ? [v] : { k: v };
        return v;
      }),
    },
    { weight: 2, arbitrary: fc.array(tie('value'), { maxLength: 6 }) },
    { weight: 2, arbitrary: fc.dictionary(key, tie('value'), { maxKeys: 6 }) },
    // many keys
    {
      weight: 1,
      arbitrary: fc.nat({ max: 200 }).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]))),
    },
  ),
}));
const root = fc.oneof(
  { weight: 6, arbitrary: fc.dictionary(key, hostile, { maxKeys: 8 }) },
  { weight: 1, arbitrary: hostile },
);
const limits: fc.Arbitrary<JsonLimits> = fc.record({
  maxDepth: fc.integer({ min: 0, max: 10 }),
  maxNodes: fc.integer({ min: 1, max: 400 }),
  maxStringLength: fc.integer({ min: 0, max: 50 }),
  maxBytes: fc.integer({ min: 0, max: 3_000 }),
});

describe('checkJsonObject on hostile shapes', () => {
  it('answers as the reference does and reads at most maxNodes children', () => {
    fc.assert(
      fc.property(root, limits, (value, chosen) => {
        expect(checkJsonObject(value, chosen)).toEqual(reference(value, chosen));
        const reads = { count: 0 };
        checkJsonObject(counted(value, reads), chosen);
        // each child read is counted as a value before the next is read; the root is the first value
        expect(reads.count).toBeLessThanOrEqual(chosen.maxNodes);
      }),
      params,
    );
  });

  it('refuses 500,000 zeros 30 levels deep after reading at most 10,000 of them', () => {
    let inner: unknown = Array.from({ length: 500_000 }, () => 0);
    for (let i = 0; i < 30; i += 1) inner = { a: inner };
    const reads = { count: 0 };
    const issue = checkJsonObject(counted(inner, reads));
    expect(issue?.message).toBe('more than 10000 values');
    expect(issue?.path).toEqual([...Array.from({ length: 29 }, () => 'a'), 'a', 9_969]);
    expect(reads.count).toBeLessThanOrEqual(10_000);
  });
});
