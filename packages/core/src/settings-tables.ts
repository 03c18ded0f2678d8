import { CONFIG_DEFAULTS, configSchema } from './config.js';
import {
  SETTINGS_DOC_FILES,
  SETTINGS_TABLES,
  UNSET_DEFAULTS,
  type SettingName,
  type SettingsDocFile,
  type SettingsRow,
} from './config-docs.js';

// The settings tables of README.md and docs/operations.md are generated from the config schema (defaults) and
// packages/core/src/config-docs.ts (texts): `pnpm docs:settings` writes them, a test fails when they drift.

const START_MARKER = /<!-- settings-table: ([a-z0-9-]+) -->/g;
export const SETTINGS_TABLE_END = '<!-- settings-table-end -->';
const HOW_TO_FIX =
  'edit packages/core/src/config-docs.ts (one row per setting and file), then run `pnpm docs:settings`';

const SETTING_NAMES = Object.keys(configSchema.shape) as SettingName[];

/** The default column of one setting: its CONFIG_DEFAULTS value, or what it means when unset. */
export function defaultCell(name: SettingName): string {
  const value = CONFIG_DEFAULTS[name] as unknown;
  if (value === undefined) return UNSET_DEFAULTS[name] ?? '(unset)';
  return `\`${String(value)}\``;
}

function rowDefaults(row: SettingsRow): string {
  return [...new Set(row.settings.map(defaultCell))].join(' / ');
}

/** One table, laid out as Prettier lays out Markdown tables (each column as wide as its widest cell). */
export function renderSettingsTable(file: SettingsDocFile, rows: readonly SettingsRow[]): string {
  const cells = [
    ['variable', 'default', SETTINGS_DOC_FILES[file].textHeader],
    ...rows.map((row) => [row.settings.map((name) => `\`${name}\``).join(' / '), rowDefaults(row), row.text]),
  ];
  const widths = [0, 1, 2].map((column) => Math.max(3, ...cells.map((line) => line[column]!.length)));
  const line = (values: string[]): string => `| ${values.map((value, i) => value.padEnd(widths[i]!)).join(' | ')} |`;
  const [header, ...body] = cells;
  return [line(header!), line(widths.map((width) => '-'.repeat(width))), ...body.map(line)].join('\n');
}

/** `markdown` with every settings table block rewritten from the schema and config-docs.ts. */
export function renderSettingsDoc(file: SettingsDocFile, markdown: string): string {
  const tables = SETTINGS_TABLES[file];
  return markdown.replace(
    new RegExp(`${START_MARKER.source}[\\s\\S]*?${SETTINGS_TABLE_END}`, 'g'),
    (block: string, id: string) => {
      const rows = tables[id];
      if (rows === undefined) return block; // reported by settingsDocsProblems
      return `<!-- settings-table: ${id} -->\n\n${renderSettingsTable(file, rows)}\n\n${SETTINGS_TABLE_END}`;
    },
  );
}

/** Settings named in the first cell of each table row of a block (`FOO` / `BAR`), with the row's default cell. */
function parseRows(block: string): { names: string[]; defaults: string }[] {
  return block
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .slice(2)
    .map((line) => {
      const [, first = '', defaults = ''] = line.split('|').map((cell) => cell.trim());
      return { names: [...first.matchAll(/`([A-Za-z0-9_]+)`/g)].map((match) => match[1]!), defaults };
    });
}

/**
 * What is wrong with the settings tables of the files (`read` gives a file's text), each as a sentence saying
 * how to fix it: a setting without a row, a row without a setting, a wrong default, a table that differs
 * from the generated one. Empty when the docs agree with the schema.
 */
export function settingsDocsProblems(read: (file: SettingsDocFile) => string): string[] {
  const problems: string[] = [];
  for (const file of Object.keys(SETTINGS_TABLES) as SettingsDocFile[]) {
    const tables = SETTINGS_TABLES[file];
    const rowsOf = new Map<string, string>();
    for (const [id, rows] of Object.entries(tables)) {
      for (const name of rows.flatMap((row) => row.settings)) {
        if (!SETTING_NAMES.includes(name))
          problems.push(`${file} [${id}]: \`${name}\` is not a setting of configSchema`);
        const seen = rowsOf.get(name);
        if (seen !== undefined) problems.push(`${file}: \`${name}\` has two rows (${seen} and ${id}): keep one`);
        rowsOf.set(name, id);
      }
    }
    for (const name of SETTING_NAMES) {
      if (!rowsOf.has(name))
        problems.push(`${file}: setting \`${name}\` has no row: add one to a table of ${file} in ${HOW_TO_FIX}`);
    }

    const markdown = read(file);
    const blocks = new Map<string, string>();
    for (const match of markdown.matchAll(new RegExp(`${START_MARKER.source}([\\s\\S]*?)${SETTINGS_TABLE_END}`, 'g'))) {
      blocks.set(match[1]!, match[2]!);
    }
    for (const id of Object.keys(tables)) {
      if (!blocks.has(id))
        problems.push(`${file}: no \`<!-- settings-table: ${id} -->\` ... \`${SETTINGS_TABLE_END}\` block`);
    }
    const rowNames = new Set([...blocks.values()].flatMap((block) => parseRows(block).flatMap((row) => row.names)));
    for (const name of SETTING_NAMES) {
      if (rowsOf.has(name) && !rowNames.has(name)) {
        problems.push(`${file}: setting \`${name}\` has no row in the file: run \`pnpm docs:settings\``);
      }
    }
    for (const [id, block] of blocks) {
      if (tables[id] === undefined)
        problems.push(`${file}: the block \`settings-table: ${id}\` is not a table of config-docs.ts`);
      for (const row of parseRows(block)) {
        for (const name of row.names) {
          if (!SETTING_NAMES.includes(name as SettingName)) {
            problems.push(`${file} [${id}]: the row \`${name}\` names no setting of configSchema: ${HOW_TO_FIX}`);
          }
        }
        const known = row.names.filter((name): name is SettingName => SETTING_NAMES.includes(name as SettingName));
        if (known.length === row.names.length && known.length > 0) {
          const expected = rowDefaults({ settings: known, text: '' });
          if (row.defaults !== expected) {
            problems.push(
              `${file} [${id}]: default of ${row.names.join(' / ')} is ${row.defaults} in the table, ${expected} in the schema: run \`pnpm docs:settings\``,
            );
          }
        }
      }
    }
    if (problems.length === 0 && renderSettingsDoc(file, markdown) !== markdown) {
      problems.push(`${file}: the settings tables differ from the schema and config-docs.ts: ${HOW_TO_FIX}`);
    }
  }
  return problems;
}
