// Prints the tables of a saved run again (with the current report code):
// pnpm --filter @app/bench report results/<timestamp>.json  (from bench/; default: the latest run)
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BENCH_DIR } from './processes.js';
import { renderReport, type Results } from './report.js';

const argument = process.argv[2];
const dir = join(BENCH_DIR, 'results');
const file =
  argument !== undefined
    ? resolve(process.env['INIT_CWD'] ?? process.cwd(), argument)
    : join(
        dir,
        readdirSync(dir)
          .filter((name) => name.endsWith('.json'))
          .sort()
          .at(-1) ?? '',
      );
const results = JSON.parse(readFileSync(file, 'utf8')) as Results;
process.stdout.write(`${renderReport(results)}\n`);
