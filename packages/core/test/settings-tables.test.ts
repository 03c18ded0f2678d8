import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS } from '../src/config.js';
import type { SettingsDocFile } from '../src/config-docs.js';
import { defaultCell, renderSettingsDoc, settingsDocsProblems } from '../src/settings-tables.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const read = (file: SettingsDocFile): string => readFileSync(`${root}${file}`, 'utf8');

/** The docs as they are, with `edit` applied to README.md. */
function withReadme(edit: (markdown: string) => string): (file: SettingsDocFile) => string {
  return (file) => (file === 'README.md' ? edit(read(file)) : read(file));
}

describe('settings tables of README.md and docs/operations.md', () => {
  it('agree with the config schema: every setting has a row in each file, every row a setting, every default its own', () => {
    // A failure names what to do; usually: add the setting's row to packages/core/src/config-docs.ts and run `pnpm docs:settings`.
    expect(settingsDocsProblems(read)).toEqual([]);
  });

  it('take their defaults from CONFIG_DEFAULTS, and the generated text is what the files hold', () => {
    expect(defaultCell('HEARTBEAT_MS')).toBe(`\`${CONFIG_DEFAULTS.HEARTBEAT_MS}\``);
    expect(defaultCell('MONGODB_URI')).toBe('(embedded)');
    expect(defaultCell('AUTH_JWT_SECRET')).toBe('(unset)');
    for (const file of ['README.md', 'docs/operations.md'] as const)
      expect(renderSettingsDoc(file, read(file))).toBe(read(file));
  });

  it('report a row whose setting is not in the schema', () => {
    const problems = settingsDocsProblems(
      withReadme((markdown) => markdown.replace('| `PORT`', '| `OLD_SETTING` | `1` | gone |\n| `PORT`')),
    );
    expect(problems).toContainEqual(
      expect.stringMatching(/README\.md \[readme-general\]: the row `OLD_SETTING` names no setting/),
    );
  });

  it('report a setting without a row', () => {
    const problems = settingsDocsProblems(
      withReadme((markdown) => markdown.replace(/^\| `DB_CONNECT_ATTEMPTS`.*\n/m, '')),
    );
    expect(problems).toContainEqual(
      'README.md: setting `DB_CONNECT_ATTEMPTS` has no row in the file: run `pnpm docs:settings`',
    );
  });

  it('report a wrong default', () => {
    const problems = settingsDocsProblems(
      withReadme((markdown) => markdown.replace(/^(\| `HEARTBEAT_MS` +\| )`30000`/m, '$1`15000`')),
    );
    expect(problems).toContainEqual(
      expect.stringMatching(
        /README\.md \[readme-general\]: default of HEARTBEAT_MS is `15000` in the table, `30000` in the schema/,
      ),
    );
  });

  it('report a table edited by hand, and a missing block', () => {
    expect(
      settingsDocsProblems(withReadme((markdown) => markdown.replace('| HTTP API port ', '| the HTTP port '))),
    ).toEqual([expect.stringMatching(/^README\.md: the settings tables differ .*pnpm docs:settings/)]);
    expect(
      settingsDocsProblems(withReadme((markdown) => markdown.replace('<!-- settings-table: readme-limits -->', ''))),
    ).toContainEqual(expect.stringMatching(/^README\.md: no `<!-- settings-table: readme-limits -->`/));
  });
});
