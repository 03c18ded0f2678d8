#!/usr/bin/env node
// The one helper that provides a MongoDB-compatible server for `pnpm start`, the tests and CI.
//   MONGODB_URI set       -> that server is used, nothing is started.
//   `mongod` on PATH      -> a mongod on a free loopback port, data under <DATA_DIR>/mongod.
//   otherwise             -> FerretDB v1 (SQLite backend) on a free loopback port, data under
//                            <DATA_DIR>/ferretdb; built once with Go into the git-ignored .tools/.
// CLI: `node scripts/embedded-db.mjs install` builds FerretDB if missing;
//      `node scripts/embedded-db.mjs run` starts the server and prints its URI until stopped.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';
export const FERRETDB_VERSION = 'v1.24.2';
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TOOLS = join(ROOT, '.tools');
/** Patches applied to FerretDB's source before it is built, in name order (see docs/decisions/0003). */
export const FERRETDB_PATCHES_DIR = join(ROOT, 'scripts', 'ferretdb-patches');
export const FERRETDB_PATCHES = readdirSync(FERRETDB_PATCHES_DIR)
  .filter((name) => name.endsWith('.patch'))
  .sort()
  .map((name) => join(FERRETDB_PATCHES_DIR, name));
/** The binary is named after the patches it was built with, so a changed patch set builds a new one. */
const PATCHES_ID = createHash('sha256')
  .update(FERRETDB_PATCHES.map((file) => readFileSync(file, 'utf8')).join('\0'))
  .digest('hex')
  .slice(0, 10);
export const FERRETDB_BIN = join(TOOLS, 'bin', `ferretdb-${FERRETDB_VERSION}-${PATCHES_ID}`);

function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

function goEnv(key) {
  return execFileSync('go', ['env', key], { encoding: 'utf8' }).trim();
}

/**
 * Builds FerretDB into .tools/bin once. Plain `go install` of v1 panics at start (no version.txt), so
 * build from a copy of the module, with the project's patches applied (a patch that does not apply
 * fails the build).
 */
export function installFerretDb({ log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  if (existsSync(FERRETDB_BIN)) return FERRETDB_BIN;
  if (!onPath('go') && !existsSync('/usr/local/go/bin/go')) {
    throw new Error('No MONGODB_URI, no mongod on PATH, and no Go toolchain to build FerretDB: set MONGODB_URI.');
  }
  if (!onPath('go')) process.env.PATH = `/usr/local/go/bin${delimiter}${process.env.PATH ?? ''}`;
  log(`[embedded-db] building FerretDB ${FERRETDB_VERSION} into .tools/ (once)`);
  const env = { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? 'local' };
  execFileSync('go', ['mod', 'download', `${FERRETDB_MODULE}@${FERRETDB_VERSION}`], { stdio: 'inherit', env });
  const modDir = join(goEnv('GOMODCACHE'), 'github.com', '!ferret!d!b', `!ferret!d!b@${FERRETDB_VERSION}`);
  const src = join(TOOLS, 'src', `ferretdb-${FERRETDB_VERSION}`);
  rmSync(src, { recursive: true, force: true });
  cpSync(modDir, src, { recursive: true });
  makeWritable(src);
  writeFileSync(join(src, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
  applyFerretDbPatches(src, { log });
  mkdirSync(dirname(FERRETDB_BIN), { recursive: true });
  execFileSync('go', ['build', '-o', FERRETDB_BIN, './cmd/ferretdb'], { cwd: src, stdio: 'inherit', env });
  return FERRETDB_BIN;
}

/** Applies the project's FerretDB patches to a source tree; throws, naming the patch, when one does not apply. */
export function applyFerretDbPatches(src, { patches = FERRETDB_PATCHES, log = () => {} } = {}) {
  for (const patch of patches) applyPatch(src, patch, log);
}

function applyPatch(src, patch, log) {
  const name = basename(patch);
  try {
    execFileSync('patch', ['--forward', '--batch', '--strip=1', '--input', patch], {
      cwd: src,
      encoding: 'utf8',
      stdio: 'pipe',
    });
  } catch (error) {
    const output = `${error.stdout ?? ''}${error.stderr ?? ''}`.trim();
    throw new Error(`FerretDB patch ${name} does not apply to ${FERRETDB_MODULE}@${FERRETDB_VERSION}:\n${output}`);
  }
  log(`[embedded-db] applied ${name}`);
}

function makeWritable(dir) {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) makeWritable(path);
    else chmodSync(path, 0o644);
  }
}

export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Resolves once 127.0.0.1:<port> accepts connections; rejects when `child` exits first or the time is
 * up. `describe()` adds context (e.g. the child's last output) to the error. Also used by the bench.
 */
export function waitForPort(port, child, { timeoutMs, name = 'database process', describe = () => '' }) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolveReady, reject) => {
    const attempt = () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        return reject(
          new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before listening${describe()}`),
        );
      }
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolveReady();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline)
          reject(new Error(`${name} did not listen on 127.0.0.1:${port} in ${timeoutMs} ms${describe()}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/**
 * Starts (or, with MONGODB_URI, just names) a MongoDB-compatible server.
 * Returns { uri, kind, port?, pid?, stop(), kill() }. `port` pins the port (used by restart tests).
 * `ownProcessGroup`: run it in a process group of its own, so a Ctrl-C (SIGINT to the terminal's group) does
 * not stop it before the server using it has drained; the caller then has to stop it (`pnpm start` does).
 */
export async function startDatabase({
  dataDir = process.env.DATA_DIR ?? join(ROOT, '.data'),
  port,
  quiet = true,
  ownProcessGroup = false,
} = {}) {
  if (process.env.MONGODB_URI && port === undefined) {
    return { uri: process.env.MONGODB_URI, kind: 'external', stop: async () => {}, kill: () => {} };
  }
  const listenPort = port ?? (await freePort());
  const mongod = onPath('mongod');
  let child;
  let kind;
  if (mongod) {
    kind = 'mongod';
    const dbPath = join(resolve(dataDir), 'mongod');
    mkdirSync(dbPath, { recursive: true });
    child = spawn(mongod, ['--bind_ip', '127.0.0.1', '--port', String(listenPort), '--dbpath', dbPath, '--quiet'], {
      stdio: quiet ? 'ignore' : 'inherit',
      detached: ownProcessGroup,
    });
  } else {
    kind = 'ferretdb';
    const bin = installFerretDb();
    const dir = join(resolve(dataDir), 'ferretdb');
    mkdirSync(dir, { recursive: true });
    child = spawn(
      bin,
      [
        '--handler=sqlite',
        `--sqlite-url=file:${dir}/`,
        `--listen-addr=127.0.0.1:${listenPort}`,
        `--state-dir=${dir}`,
        '--debug-addr=-',
        '--telemetry=disable',
        '--log-level=error',
      ],
      { stdio: quiet ? 'ignore' : 'inherit', detached: ownProcessGroup },
    );
  }
  const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
  child.once('error', () => {});
  await waitForPort(listenPort, child, { timeoutMs: 20_000 });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    return exited;
  };
  return { uri: `mongodb://127.0.0.1:${listenPort}/`, kind, port: listenPort, pid: child.pid, stop, kill };
}

const command =
  process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url) ? process.argv[2] : undefined;
if (command === 'install') {
  if (onPath('mongod') || process.env.MONGODB_URI)
    console.log('[embedded-db] mongod or MONGODB_URI present; FerretDB not needed');
  else console.log(`[embedded-db] FerretDB ready at ${installFerretDb()}`);
} else if (command === 'run') {
  const db = await startDatabase({ quiet: false });
  console.log(`[embedded-db] ${db.kind} listening: ${db.uri}`);
  const shutdown = () => db.stop().then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
