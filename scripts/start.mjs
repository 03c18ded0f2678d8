#!/usr/bin/env node
// `pnpm start`: HTTP (PORT, 3000) + WebSocket (WS_PORT, 3001) in one process.
// Without MONGODB_URI it first brings up the embedded database (see embedded-db.mjs), data under DATA_DIR.
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDatabase } from './embedded-db.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const db = await startDatabase({ dataDir: resolve(root, process.env.DATA_DIR ?? '.data'), quiet: true });
if (db.kind !== 'external') console.error(`[start] embedded ${db.kind} on ${db.uri} (data in ${process.env.DATA_DIR ?? '.data'}/)`);

// Development default: without any authentication setting, run without authentication (the server warns loudly).
const auth = process.env.AUTH_MODE || process.env.AUTH_JWT_SECRET || process.env.AUTH_JWT_PUBLIC_KEY_FILE || process.env.AUTH_JWKS_FILE;
const authEnv = auth ? {} : { AUTH_MODE: 'none' };

const child = spawn(
  process.execPath,
  ['--conditions=@app/source', '--import', 'tsx', join(root, 'apps/server/src/main.ts')],
  { cwd: root, stdio: 'inherit', env: { ...process.env, ...authEnv, MONGODB_URI: db.uri } },
);
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopping = true;
    if (child.exitCode === null) child.kill(signal);
  });
}
child.on('exit', async (code, signal) => {
  await db.stop();
  process.exit(code ?? (signal && !stopping ? 1 : 0));
});
