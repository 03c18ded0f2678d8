#!/usr/bin/env node
// `pnpm start`: HTTP (PORT, 3000) + WebSocket (WS_PORT, 3001) in one process.
// Without MONGODB_URI it first brings up the embedded database (see embedded-db.mjs), data under DATA_DIR.
//
// Signals: SIGTERM / SIGINT (and SIGHUP) stop the server gracefully, then the embedded database, then this
// process (exit 0). Ctrl-C reaches the server directly (same process group) and through pnpm and this
// script, so a signal is forwarded only when none was in the last FORWARD_DEDUPE_MS; the server takes a
// second copy within its grace period as the same request, and a third signal as "exit now". The database
// runs in its own process group, so Ctrl-C does not stop it under the server while the server drains.
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureWebBuilt } from './build-web.mjs';
import { startDatabase } from './embedded-db.mjs';

const FORWARD_DEDUPE_MS = 1_000;
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

let child;
let stopping = false;
let lastForwardAt = -Infinity;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    stopping = true;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return; // not started yet, or gone
    const now = performance.now();
    if (now - lastForwardAt < FORWARD_DEDUPE_MS) return; // a copy of the signal just forwarded
    lastForwardAt = now;
    child.kill(signal === 'SIGHUP' ? 'SIGTERM' : signal);
  });
}

// The page the server serves at / (http://127.0.0.1:3000/): built on first start, and again when its sources changed.
ensureWebBuilt();

const db = await startDatabase({
  dataDir: resolve(root, process.env.DATA_DIR ?? '.data'),
  quiet: true,
  ownProcessGroup: true,
});
if (db.kind !== 'external')
  console.error(
    `[start] embedded ${db.kind} on ${db.uri} (pid ${db.pid}, data in ${process.env.DATA_DIR ?? '.data'}/)`,
  );
if (stopping) {
  // Stopped while the database was starting: nothing else to stop.
  await db.stop();
  process.exit(0);
}

// Development default: without any authentication setting, run without authentication (the server warns loudly).
const auth =
  process.env.AUTH_MODE ||
  process.env.AUTH_JWT_SECRET ||
  process.env.AUTH_JWT_PUBLIC_KEY_FILE ||
  process.env.AUTH_JWKS_FILE;
const authEnv = auth ? {} : { AUTH_MODE: 'none' };

child = spawn(
  process.execPath,
  ['--conditions=@app/source', '--import', 'tsx', join(root, 'apps/server/src/main.ts')],
  { cwd: root, stdio: 'inherit', env: { ...process.env, ...authEnv, MONGODB_URI: db.uri } },
);
child.on('exit', async (code, signal) => {
  await db.stop();
  process.exit(code ?? (signal && !stopping ? 1 : 0));
});
