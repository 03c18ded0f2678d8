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
/** How long the simulator's process group may take to be gone after the simulator exits, before SIGKILL. */
const SIM_GROUP_EXIT_MS = 3_000;
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

// Without provider keys, the simulated providers (apps/provider-sim) stand in for Runway and OpenAI, so the
// whole flow runs on a fresh machine; with a key, the real API (or the base URL given) is used.
const needsSim = !process.env.RUNWAYML_API_SECRET || !process.env.OPENAI_API_KEY;
const sim = needsSim ? await startProviderSim() : undefined;
const providerEnv = {};
if (sim !== undefined && !process.env.RUNWAYML_API_SECRET) {
  Object.assign(providerEnv, { RUNWAYML_API_SECRET: 'key_simulated', RUNWAYML_BASE_URL: `${sim.url}/runway` });
}
if (sim !== undefined && !process.env.OPENAI_API_KEY) {
  Object.assign(providerEnv, { OPENAI_API_KEY: 'sk-simulated', OPENAI_BASE_URL: `${sim.url}/openai/v1` });
}
if (sim !== undefined) console.error(`[start] simulated providers on ${sim.url} (pid ${sim.child.pid}): no key set`);
if (stopping) {
  await stopSim();
  await db.stop();
  process.exit(0);
}

/**
 * Stops the simulator and waits until its whole process group is gone (tsx's esbuild helper included), so
 * nothing of `pnpm start` outlives it. The simulator runs in its own process group: Ctrl-C does not stop it
 * under a server that is still draining.
 */
async function stopSim() {
  if (sim === undefined) return;
  const group = -sim.child.pid;
  if (sim.child.exitCode === null && sim.child.signalCode === null) {
    const exited = new Promise((resolvePromise) => sim.child.once('exit', resolvePromise));
    signalGroup(group, 'SIGTERM');
    await exited;
  }
  const deadline = Date.now() + SIM_GROUP_EXIT_MS;
  while (groupAlive(group) && Date.now() < deadline)
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 20));
  if (groupAlive(group)) signalGroup(group, 'SIGKILL');
}

function signalGroup(group, signal) {
  try {
    process.kill(group, signal);
  } catch {
    // already gone
  }
}

function groupAlive(group) {
  try {
    process.kill(group, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts apps/provider-sim on a free loopback port and waits for the line with its URL. */
async function startProviderSim() {
  const simChild = spawn(
    process.execPath,
    ['--conditions=@app/source', '--import', 'tsx', join(root, 'apps/provider-sim/src/main.ts')],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, PROVIDER_SIM_PORT: '0' },
      detached: true,
    },
  );
  const url = await new Promise((resolvePromise, reject) => {
    let text = '';
    simChild.stdout.on('data', (chunk) => {
      text += chunk;
      const found = /listening on (http:\/\/\S+)/.exec(text);
      if (found) resolvePromise(found[1]);
    });
    simChild.once('exit', (code) => reject(new Error(`the provider simulator exited (${code}) before it listened`)));
  }).catch(async (error) => {
    console.error(`[start] ${error.message}`);
    await db.stop();
    process.exit(1);
  });
  simChild.stdout.resume();
  return { url, child: simChild };
}

child = spawn(
  process.execPath,
  ['--conditions=@app/source', '--import', 'tsx', join(root, 'apps/server/src/main.ts')],
  { cwd: root, stdio: 'inherit', env: { ...process.env, ...authEnv, ...providerEnv, MONGODB_URI: db.uri } },
);
child.on('exit', async (code, signal) => {
  await stopSim();
  await db.stop();
  process.exit(code ?? (signal && !stopping ? 1 : 0));
});
