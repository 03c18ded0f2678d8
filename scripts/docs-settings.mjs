// Rewrites the settings tables of README.md and docs/operations.md from the config schema (defaults) and
// packages/core/src/config-docs.ts (texts). Run through `pnpm docs:settings` (it loads the TypeScript sources).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SETTINGS_TABLES } from '../packages/core/src/config-docs.ts';
import { renderSettingsDoc } from '../packages/core/src/settings-tables.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
for (const file of Object.keys(SETTINGS_TABLES)) {
  const path = join(root, file);
  const before = readFileSync(path, 'utf8');
  const after = renderSettingsDoc(file, before);
  if (after === before) continue;
  writeFileSync(path, after);
  process.stdout.write(`[docs:settings] ${file} rewritten\n`);
}
