import { asyncApiDocument } from './asyncapi.js';
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
 * a JSON Schema per message under docs/schema/, and docs/asyncapi.json. `pnpm generate` writes them.
 */
export function protocolArtifactFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const message of messageSchemas()) {
    files.set(`${SCHEMA_DIR}/${message.name}.json`, jsonFileText(toJsonSchema(message)));
  }
  files.set('docs/asyncapi.json', jsonFileText(asyncApiDocument()));
  return files;
}
