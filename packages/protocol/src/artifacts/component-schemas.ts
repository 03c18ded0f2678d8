import { z } from 'zod';
import { jsonSchemaOptions, type JsonSchema, type JsonSchemaTarget } from './json-schema.js';
import { NAMED_SCHEMAS, pascalName } from './schema-names.js';

type Io = 'input' | 'output';

const isObject = (value: unknown): value is JsonSchema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The named schemas of a document (`components.schemas` in AsyncAPI and OpenAPI), built from zod
 * schemas so that a code generator names every type after the protocol: the shared schemas of
 * `NAMED_SCHEMAS` under their names, each added root under the name it is given, and every other
 * object, enum or union under the name of where it sits (`WorkspaceCreate` -> its `data` is
 * `WorkspaceCreateData`; a union's options are named after the key or `const` that tells them apart).
 * Nothing is inline that a generator would have to call `AnonymousSchema_12`.
 */
export class ComponentSchemas {
  readonly #schemas = new Map<string, JsonSchema>();
  readonly #registry = z.registry<{ id: string }>();
  readonly #target: JsonSchemaTarget;
  readonly #refPrefix: string;

  constructor(target: JsonSchemaTarget, refPrefix = '#/components/schemas/') {
    this.#target = target;
    this.#refPrefix = refPrefix;
    for (const [name, schema] of Object.entries(NAMED_SCHEMAS)) this.#registry.add(schema, { id: name });
  }

  /** A `$ref` to the component `name`. */
  ref(name: string): JsonSchema {
    return { $ref: `${this.#refPrefix}${name}` };
  }

  /** Adds `schema` (as sent: `input`, as received: `output`) under `name`; returns a `$ref` to it. */
  add(name: string, schema: z.ZodType, io: Io): JsonSchema {
    const shared = Object.entries(NAMED_SCHEMAS).find(([, named]) => named === schema)?.[0];
    if (shared !== undefined) {
      // A named schema at the root: describe it through a wrapper so zod writes it as a definition.
      this.#fromZod(z.object({ value: schema }), io);
      return this.ref(shared);
    }
    const root = this.#fromZod(schema, io);
    return this.addJson(name, root);
  }

  /** The JSON Schema of `schema` with the named schemas as `$ref`s to components (added here), itself not added. */
  json(schema: z.ZodType, io: Io): JsonSchema {
    return this.#fromZod(schema, io);
  }

  /** Adds a JSON Schema (already using this document's refs) under `name`; its nested parts get names too. */
  addJson(name: string, schema: JsonSchema): JsonSchema {
    this.#put(name, this.#nameParts(schema, name));
    return this.ref(name);
  }

  /** Adds annotations (`description`, ...) to the component `name`, which must exist. */
  annotate(name: string, annotations: JsonSchema): void {
    const schema = this.#schemas.get(name);
    if (schema === undefined) throw new Error(`No schema is named ${name}`);
    this.#schemas.set(name, { ...schema, ...annotations });
  }

  /** The components, titled with their names, sorted by name (stable output whatever the order of the calls). */
  schemas(): Record<string, JsonSchema> {
    return Object.fromEntries(
      [...this.#schemas]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, schema]) => [name, { title: name, ...schema }]),
    );
  }

  /** zod's JSON Schema with the named schemas as components; returns the root with local refs rewritten. */
  #fromZod(schema: z.ZodType, io: Io): JsonSchema {
    const json = z.toJSONSchema(schema, jsonSchemaOptions(io, this.#target, this.#registry)) as JsonSchema;
    const { $schema: _dialect, definitions, $defs, ...root } = json;
    for (const [name, def] of Object.entries({ ...(definitions as object), ...($defs as object) })) {
      this.#put(name, this.#nameParts(this.#rewrite(def as JsonSchema), name));
    }
    return this.#rewrite(root);
  }

  #put(name: string, schema: JsonSchema): void {
    const existing = this.#schemas.get(name);
    if (existing !== undefined && JSON.stringify(existing) !== JSON.stringify(schema)) {
      throw new Error(
        `Two different schemas would be named ${name} (a shared schema that differs as sent and as received, or a name taken twice): name one of them in NAMED_SCHEMAS or rename it`,
      );
    }
    this.#schemas.set(name, schema);
  }

  /** Local refs (`#/definitions/X`, `#/$defs/X`) to this document's components; `allOf: [one]` to the one. */
  #rewrite(value: JsonSchema): JsonSchema {
    const walk = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(walk);
      if (!isObject(node)) return node;
      const keys = Object.keys(node);
      if (keys.length === 1 && Array.isArray(node['allOf']) && node['allOf'].length === 1)
        return walk(node['allOf'][0]);
      const result: JsonSchema = {};
      for (const [key, inner] of Object.entries(node)) {
        if (key === '$ref' && typeof inner === 'string') {
          result[key] = inner.replace(/^#\/(definitions|\$defs)\//, this.#refPrefix);
        } else result[key] = walk(inner);
      }
      return result;
    };
    return walk(value) as JsonSchema;
  }

  /** Names the nested objects, enums and unions of a schema that sits under `name`. */
  #nameParts(schema: JsonSchema, name: string): JsonSchema {
    const result: JsonSchema = { ...schema };
    if (isObject(schema['properties'])) {
      result['properties'] = Object.fromEntries(
        Object.entries(schema['properties']).map(([key, inner]) => [key, this.#place(inner, name + pascalName(key))]),
      );
    }
    if (isObject(schema['items'])) result['items'] = this.#place(schema['items'], `${name}Item`);
    if (isObject(schema['additionalProperties'])) {
      result['additionalProperties'] = this.#place(schema['additionalProperties'], `${name}Value`);
    }
    for (const keyword of ['anyOf', 'oneOf'] as const) {
      const options = schema[keyword];
      if (!Array.isArray(options)) continue;
      const names = optionNames(options as JsonSchema[]);
      result[keyword] = options.map((option: JsonSchema, i) => this.#place(option, name + names[i]!));
    }
    return result;
  }

  /** A part that deserves a name becomes a component and a `$ref`; others stay inline with their parts named. */
  #place(schema: unknown, name: string): unknown {
    if (!isObject(schema) || typeof schema['$ref'] === 'string') return schema;
    const nameable =
      isObject(schema['properties']) ||
      Array.isArray(schema['anyOf']) ||
      Array.isArray(schema['oneOf']) ||
      (Array.isArray(schema['enum']) && schema['enum'].length > 1);
    if (!nameable) return this.#nameParts(schema, name);
    return this.addJson(name, schema);
  }
}

/**
 * A name for each option of a union: the `const` of a property that differs between the options
 * (`{ type: 'a' } | { type: 'b' }` -> `A`, `B`), else the first key no other option has
 * (`{ replayed } | { snapshot }` -> `Replayed`, `Snapshot`), else its position.
 */
function optionNames(options: JsonSchema[]): string[] {
  const keysOf = (option: JsonSchema): string[] =>
    isObject(option['properties']) ? Object.keys(option['properties']) : [];
  const constOf = (option: JsonSchema, key: string): unknown =>
    isObject(option['properties']) && isObject(option['properties'][key])
      ? (option['properties'][key] as JsonSchema)['const']
      : undefined;
  const names = options.map((option, i) => {
    for (const key of keysOf(option)) {
      const value = constOf(option, key);
      if (typeof value === 'string' && options.every((other, j) => j === i || constOf(other, key) !== value)) {
        const allHaveIt = options.every((other) => typeof constOf(other, key) === 'string');
        if (allHaveIt) return pascalName(value);
      }
    }
    const unique = keysOf(option).find((key) => options.every((other, j) => j === i || !keysOf(other).includes(key)));
    return unique === undefined ? String(i + 1) : pascalName(unique);
  });
  return new Set(names).size === names.length ? names : options.map((_, i) => String(i + 1));
}
