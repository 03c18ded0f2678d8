// A small checker for the JSON Schemas compiled from the protocol's zod schemas (compiled-schemas.ts):
// the browser client validates frames with it instead of shipping zod. It knows only the keywords the
// generator emits; the generator refuses any other, so a schema never passes here by being ignored.
import { checkJsonObject, isPlainObject } from '../json-value.js';

/** A JSON Schema as the generator writes it (a plain JSON value). */
export type CompiledSchema = { readonly [keyword: string]: unknown };

/** The keywords `checkSchema` implements; `x-json-object` and `x-text` stand for zod refinements. */
export const CHECKED_KEYWORDS: ReadonlySet<string> = new Set([
  '$ref',
  'type',
  'const',
  'enum',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'items',
  'maxItems',
  'anyOf',
  'oneOf',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'x-json-object',
  'x-text',
]);

export interface SchemaIssue {
  path: (string | number)[];
  message: string;
}

const patterns = new Map<string, RegExp>();
const LONE_SURROGATE = /\p{Cs}/u;

function regex(source: string): RegExp {
  let found = patterns.get(source);
  if (found === undefined) patterns.set(source, (found = new RegExp(source, 'u')));
  return found;
}

function typeMatches(type: unknown, value: unknown): boolean {
  switch (type) {
    case 'object':
      return isPlainObject(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    default:
      return false;
  }
}

/** Length in code points, as zod and JSON Schema count it. */
function codePoints(text: string): number {
  return [...text].length;
}

/**
 * The first problem of `value` against `schema` (`defs` resolves `#/$defs/...`), or undefined when it
 * is valid. Iterates the value once; recursion follows the schema's depth, which the generator fixes.
 */
export function checkSchema(
  schema: CompiledSchema,
  value: unknown,
  defs: Readonly<Record<string, CompiledSchema>>,
  path: (string | number)[] = [],
): SchemaIssue | undefined {
  const fail = (message: string): SchemaIssue => ({ path, message });
  const ref = schema['$ref'];
  if (typeof ref === 'string') {
    const target = defs[ref.slice(ref.lastIndexOf('/') + 1)];
    return target === undefined ? fail(`unknown schema ${ref}`) : checkSchema(target, value, defs, path);
  }
  const { type } = schema;
  if (type !== undefined && !typeMatches(type, value)) return fail(`expected ${String(type)}`);
  if ('const' in schema && value !== schema['const']) return fail(`expected ${JSON.stringify(schema['const'])}`);
  const options = (schema['anyOf'] ?? schema['oneOf']) as CompiledSchema[] | undefined;
  if (options !== undefined) {
    let first: SchemaIssue | undefined;
    for (const option of options) {
      const issue = checkSchema(option, value, defs, path);
      if (issue === undefined) return undefined;
      first ??= issue;
    }
    return first;
  }
  const values = schema['enum'] as unknown[] | undefined;
  if (values !== undefined && !values.includes(value)) return fail(`expected one of ${values.join(', ')}`);
  if (typeof value === 'string') return checkString(schema, value, fail);
  if (typeof value === 'number') return checkNumber(schema, value, fail);
  if (Array.isArray(value)) {
    const max = schema['maxItems'] as number | undefined;
    if (max !== undefined && value.length > max) return fail(`more than ${max} items`);
    const items = schema['items'] as CompiledSchema | undefined;
    if (items === undefined) return undefined;
    for (let i = 0; i < value.length; i += 1) {
      const issue = checkSchema(items, value[i], defs, [...path, i]);
      if (issue !== undefined) return issue;
    }
    return undefined;
  }
  if (isPlainObject(value)) return checkObject(schema, value, defs, path);
  return undefined;
}

function checkString(
  schema: CompiledSchema,
  value: string,
  fail: (message: string) => SchemaIssue,
): SchemaIssue | undefined {
  const min = schema['minLength'] as number | undefined;
  const max = schema['maxLength'] as number | undefined;
  // A string of n UTF-16 units holds n/2 to n code points: count only when that range straddles a bound.
  if (min !== undefined && value.length < min * 2 && codePoints(value) < min) return fail(`shorter than ${min}`);
  if (max !== undefined && value.length > max && codePoints(value) > max) return fail(`longer than ${max}`);
  const pattern = schema['pattern'] as string | undefined;
  if (pattern !== undefined && !regex(pattern).test(value)) return fail('does not match the pattern');
  if (schema['x-text'] === true && (value.includes('\u0000') || LONE_SURROGATE.test(value))) {
    return fail('must be Unicode text without NUL');
  }
  return undefined;
}

function checkNumber(
  schema: CompiledSchema,
  value: number,
  fail: (message: string) => SchemaIssue,
): SchemaIssue | undefined {
  const minimum = schema['minimum'] as number | undefined;
  const maximum = schema['maximum'] as number | undefined;
  const above = schema['exclusiveMinimum'] as number | undefined;
  if (minimum !== undefined && value < minimum) return fail(`less than ${minimum}`);
  if (maximum !== undefined && value > maximum) return fail(`more than ${maximum}`);
  if (above !== undefined && value <= above) return fail(`not more than ${above}`);
  return undefined;
}

function checkObject(
  schema: CompiledSchema,
  value: Record<string, unknown>,
  defs: Readonly<Record<string, CompiledSchema>>,
  path: (string | number)[],
): SchemaIssue | undefined {
  if (schema['x-json-object'] === true) {
    const issue = checkJsonObject(value);
    if (issue !== undefined) return { path: [...path, ...issue.path], message: issue.message };
  }
  const properties = schema['properties'] as Record<string, CompiledSchema> | undefined;
  for (const key of (schema['required'] as string[] | undefined) ?? []) {
    if (!Object.hasOwn(value, key) || value[key] === undefined) return { path: [...path, key], message: 'required' };
  }
  const rest = schema['additionalProperties'] as CompiledSchema | false | undefined;
  for (const key of Object.keys(value)) {
    const property = properties !== undefined && Object.hasOwn(properties, key) ? properties[key] : undefined;
    const inner = property ?? (rest === false ? undefined : rest);
    if (property === undefined && rest === false) return { path: [...path, key], message: 'unrecognized key' };
    if (inner === undefined || value[key] === undefined) continue;
    const issue = checkSchema(inner, value[key], defs, [...path, key]);
    if (issue !== undefined) return issue;
  }
  return undefined;
}
