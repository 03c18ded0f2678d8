// `pnpm generate` (this package's part, after @app/protocol's and @app/api's): regenerates the clients in
// examples/ from docs/asyncapi.json and docs/openapi.json, and removes Go models that no longer exist.
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GENERATED, generatedClientFiles } from '../src/generate-clients.js';

const examples = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const read = (path: string) => JSON.parse(readFileSync(join(examples, '..', path), 'utf8')) as Record<string, unknown>;
const files = await generatedClientFiles({ asyncapi: read('docs/asyncapi.json'), openapi: read('docs/openapi.json') });
for (const path of files.keys()) mkdirSync(dirname(join(examples, path)), { recursive: true });
for (const name of readdirSync(join(examples, GENERATED.goModels))) {
  if (!files.has(`${GENERATED.goModels}/${name}`)) rmSync(join(examples, GENERATED.goModels, name));
}
for (const [path, text] of files) writeFileSync(join(examples, path), text);
console.info(`wrote ${files.size} files (${GENERATED.rest}, ${GENERATED.models}, ${GENERATED.goModels}/*.go)`);
