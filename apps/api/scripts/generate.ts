// `pnpm generate` (this package's part): writes docs/openapi.json from the route list and the protocol's schemas.
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonFileText } from '@app/protocol/artifacts';
import { OPENAPI_PATH, openApiDocument } from '../src/openapi.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
writeFileSync(join(root, OPENAPI_PATH), jsonFileText(openApiDocument()));
console.info(`wrote ${OPENAPI_PATH}`);
