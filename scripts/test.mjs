#!/usr/bin/env node
// `pnpm test`: the format and lint checks, then every package's tests through turbo, against one embedded
// database for the whole run (or MONGODB_URI when set), then one plain line "N passed, N failed" summed over
// all packages (each check counts as one test).
// Exits non-zero on any failure, on a missing result file, or when no test ran.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDatabase } from './embedded-db.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const packageDirs = [
  ...['packages', 'apps'].flatMap((group) =>
    readdirSync(join(root, group), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(root, group, entry.name, 'package.json')))
      .map((entry) => join(root, group, entry.name)),
  ),
  // Packages that are a folder of their own at the root (the generated clients in examples/).
  ...['examples'].map((dir) => join(root, dir)).filter((dir) => existsSync(join(dir, 'package.json'))),
];
const withTests = packageDirs.filter(
  (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).scripts?.test,
);
for (const dir of withTests) rmSync(join(dir, 'test-results.json'), { force: true });

// Lint and format are part of the test command: each check counts as one test in the summary line.
const checks = [
  ['format', ['exec', 'prettier', '--check', '--log-level=warn', '.']],
  ['lint', ['exec', 'eslint', '.']],
  ['import cycles', ['exec', 'node', 'scripts/check-cycles.mjs']],
];
let checksPassed = 0;
let checksFailed = 0;
if (process.argv.length <= 2) {
  for (const [name, args] of checks) {
    const exitCode = await run('pnpm', args, process.env);
    if (exitCode === 0) checksPassed += 1;
    else {
      checksFailed += 1;
      console.log(`[test] ${name} check failed (pnpm ${args.join(' ')})`);
    }
  }
}

const dataDir = process.env.MONGODB_URI ? undefined : mkdtempSync(join(tmpdir(), 'app-test-db-'));
const db = await startDatabase({ dataDir });
if (db.kind !== 'external') console.log(`[test] embedded ${db.kind} at ${db.uri}`);

// --continue=always: a failing package must not stop the others, so the summary counts every package.
const turboArgs = ['turbo', 'run', 'test', '--concurrency=1', '--continue=always', ...process.argv.slice(2)];
const code = await run('pnpm', ['exec', ...turboArgs], {
  ...process.env,
  MONGODB_URI: db.uri,
  TURBO_TELEMETRY_DISABLED: '1',
  FORCE_COLOR: process.env.FORCE_COLOR ?? '0',
});
await db.stop();
if (dataDir) rmSync(dataDir, { recursive: true, force: true });

let passed = checksPassed;
let failed = checksFailed;
const missing = [];
for (const dir of withTests) {
  const file = join(dir, 'test-results.json');
  if (!existsSync(file)) {
    missing.push(dir.slice(root.length + 1));
    continue;
  }
  const results = JSON.parse(readFileSync(file, 'utf8'));
  passed += results.numPassedTests ?? 0;
  failed += results.numFailedTests ?? 0;
  if (results.success === false && (results.numFailedTests ?? 0) === 0) failed += 1; // a suite that crashed before its tests ran
}
if (missing.length > 0 && process.argv.length <= 2) console.log(`[test] no results from: ${missing.join(', ')}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(code !== 0 || failed > 0 || passed === 0 || (missing.length > 0 && process.argv.length <= 2) ? 1 : 0);

function run(command, args, env) {
  return new Promise((resolveExit) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit', env });
    child.on('exit', (exitCode, signal) => resolveExit(exitCode ?? (signal ? 1 : 0)));
  });
}
