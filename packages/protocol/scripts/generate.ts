// `pnpm generate` (this package's part): writes the documents generated from the zod schemas
// (docs/schema/*.json, docs/asyncapi.json, src/lite/compiled-schemas.ts) and removes schema files of messages that no longer exist.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCHEMA_DIR, protocolArtifactFiles } from '../src/artifacts/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const files = protocolArtifactFiles();
mkdirSync(join(root, SCHEMA_DIR), { recursive: true });
for (const name of readdirSync(join(root, SCHEMA_DIR))) {
  if (!files.has(`${SCHEMA_DIR}/${name}`)) rmSync(join(root, SCHEMA_DIR, name));
}
for (const [path, text] of files) writeFileSync(join(root, path), text);
console.info(`wrote ${files.size} files (${SCHEMA_DIR}/*.json, docs/asyncapi.json, src/lite/compiled-schemas.ts)`);
