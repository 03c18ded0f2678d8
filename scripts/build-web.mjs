// Builds the web app (apps/web/dist) when it is missing or older than its sources, so that `pnpm start`
// serves a current page on a fresh clone without a separate build step. `pnpm --filter @app/web build`
// builds it unconditionally.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const webDir = join(root, 'apps/web');
// What ends up in the page: the app and the packages it bundles from source.
const SOURCES = [
  'apps/web/src',
  'apps/web/index.html',
  'apps/web/vite.config.ts',
  'packages/client/src',
  'packages/protocol/src',
];

function newestMtimeMs(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtimeMs(join(path, entry)));
  return newest;
}

/** Whether apps/web/dist is missing or older than a source file. */
export function webBuildIsStale() {
  const index = join(webDir, 'dist/index.html');
  if (!existsSync(index)) return true;
  const builtAt = statSync(index).mtimeMs;
  return SOURCES.some((source) => existsSync(join(root, source)) && newestMtimeMs(join(root, source)) > builtAt);
}

/** Builds the page if it is stale; returns whether it built. Throws when the build fails. */
export function ensureWebBuilt({ log = console.error } = {}) {
  if (!webBuildIsStale()) return false;
  log('[start] building the web app (apps/web/dist)…');
  const vite = join(webDir, 'node_modules/vite/bin/vite.js');
  // NODE_ENV from the caller (a test runner's `test`) would give React's development build.
  const env = { ...process.env, NODE_ENV: 'production' };
  const result = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
    cwd: webDir,
    stdio: 'inherit',
    env,
  });
  if (result.status !== 0) throw new Error(`building the web app failed (exit ${result.status ?? result.signal})`);
  return true;
}
