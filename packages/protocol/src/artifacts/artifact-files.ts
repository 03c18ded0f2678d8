import { asyncApiDocument } from './asyncapi.js';
import { COMPILED_SCHEMAS_PATH, compiledSchemasModule } from './compiled-schemas-module.js';
import { toJsonSchema } from './json-schema.js';
import { messageSchemas } from './message-schemas.js';

/** Where the JSON Schemas of the messages live, relative to the repository root. */
export const SCHEMA_DIR = 'docs/schema';

/** The exact text of a generated JSON file (the tests compare it byte for byte with the checked-in one). */
export function jsonFileText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * Every document generated from the protocol's zod schemas, by path relative to the repository root:
 * a JSON Schema per message under docs/schema/, docs/asyncapi.json, and the compiled checks of the
 * zod-free client entry (src/lite/compiled-schemas.ts). `pnpm generate` writes them.
 */
export function protocolArtifactFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const message of messageSchemas()) {
    files.set(`${SCHEMA_DIR}/${message.name}.json`, jsonFileText(toJsonSchema(message)));
  }
  files.set('docs/asyncapi.json', jsonFileText(asyncApiDocument()));
  files.set(COMPILED_SCHEMAS_PATH, compiledSchemasModule());
  return files;
}
