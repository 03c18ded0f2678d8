// Child processes the driver owns: the servers under test and the load generator workers.
// Every one is stopped by its own PID (SIGTERM, then SIGKILL after a bound).
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ServerKind } from './common.js';
import type { Command } from './loadgen.js';

export const BENCH_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = resolve(BENCH_DIR, '..');
const PRELOAD = pathToFileURL(join(BENCH_DIR, 'src', 'preload.mjs')).href;

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolveExit) => {
    const timer = setTimeout(() => resolveExit(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveExit(true);
    });
  });
}

async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if (!(await waitExit(child, graceMs))) {
    child.kill('SIGKILL');
    await waitExit(child, 5_000);
  }
}

export interface ServerHandle {
  kind: ServerKind;
  pid: number;
  url: string;
  output: string[];
  alive(): boolean;
  stop(): Promise<void>;
}

interface EmbeddedDbHelpers {
  waitForPort(
    port: number,
    child: ChildProcess,
    options: { timeoutMs: number; name?: string; describe?: () => string },
  ): Promise<void>;
}
const { waitForPort } = (await import(
  pathToFileURL(join(ROOT, 'scripts', 'embedded-db.mjs')).href
)) as EmbeddedDbHelpers;

/** Settings of ours that would otherwise refuse a load generator (all connections come from one IP); env can override each. */
const OURS_BENCH_DEFAULTS: Record<string, string> = {
  AUTH_MODE: 'none',
  MAX_CONNECTIONS: '1000000',
  MAX_CONNECTIONS_PER_IP: '1000000',
  MAX_BYTES_PER_IP: String(2 ** 50), // the start-up check of MAX_CONNECTIONS_PER_IP x frame and buffer bytes
  HTTP_MAX_CONNECTIONS_PER_IP: '1000000',
  RATE_LIMIT_PER_SEC: '1000000000',
  RATE_LIMIT_BURST: '1000000000',
  IDLE_TIMEOUT_MS: '0',
};

/**
 * Starts one server under test as its own process on a free loopback port, every one the same way:
 * `node --expose-gc --import tsx --import src/preload.mjs <entry>`.
 */
export async function startServer(
  kind: ServerKind,
  context: {
    port: number;
    mongodbUri?: string | undefined;
    dbName: string;
    /**
     * Write V8 CPU profiles (`node --cpu-prof`) of the process into `<dir>/<name>/`, one file per
     * thread as Node names them: the main thread's has thread id 0 (`CPU.<date>.<pid>.0.*`), the
     * other is tsx's module loader. (`--cpu-prof-name` would make both threads write one file.)
     */
    profile?: { dir: string; name: string } | undefined;
    /** Extra environment of the server process. */
    env?: Record<string, string> | undefined;
  },
): Promise<ServerHandle> {
  const base = ['--expose-gc', '--import', 'tsx', '--import', PRELOAD];
  if (context.profile !== undefined) {
    base.unshift('--cpu-prof', `--cpu-prof-dir=${join(context.profile.dir, context.profile.name)}`);
  }
  let child: ChildProcess;
  if (kind === 'ours') {
    if (context.mongodbUri === undefined) throw new Error('ours needs a database');
    const env: Record<string, string | undefined> = { ...process.env };
    for (const [key, value] of Object.entries(OURS_BENCH_DEFAULTS)) env[key] ??= value;
    Object.assign(env, {
      MONGODB_URI: context.mongodbUri,
      MONGODB_DB: context.dbName,
      WS_PORT: String(context.port),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: process.env['BENCH_SERVER_LOG_LEVEL'] ?? 'warn',
      ...context.env,
    });
    child = spawn(process.execPath, ['--conditions=@app/source', ...base, 'src/main.ts'], {
      cwd: join(ROOT, 'apps', 'ws-server'),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } else {
    const entry = kind === 'raw' ? 'src/servers/raw-ws.ts' : 'src/servers/socketio.ts';
    child = spawn(process.execPath, [...base, entry], {
      cwd: BENCH_DIR,
      env: { ...process.env, PORT: String(context.port), ...context.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }
  const output: string[] = [];
  const collect = (chunk: Buffer): void => {
    for (const line of chunk.toString().split('\n')) {
      if (line.trim() === '') continue;
      output.push(line);
      if (output.length > 200) output.shift();
    }
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  child.once('error', (error) => output.push(`spawn error: ${error.message}`));
  try {
    await waitForPort(context.port, child, {
      timeoutMs: 90_000,
      name: 'server',
      describe: () => `:\n${output.join('\n')}`,
    });
  } catch (error) {
    await stopChild(child, 5_000);
    throw error;
  }
  return {
    kind,
    pid: child.pid!,
    url: `ws://127.0.0.1:${context.port}/`,
    output,
    alive: () => child.exitCode === null && child.signalCode === null,
    stop: () => stopChild(child, 20_000),
  };
}

interface Reply {
  reqId: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

/** One load generator process (src/loadgen.ts) and a request/reply channel to it over IPC. */
export class LoadWorker {
  private readonly child: ChildProcess;
  private readonly waiting = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private nextId = 1;
  readonly exited: Promise<void>;

  constructor(readonly name: string) {
    this.child = fork(join(BENCH_DIR, 'src', 'loadgen.ts'), [], {
      cwd: BENCH_DIR,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    this.child.on('message', (message: Reply) => {
      const waiter = this.waiting.get(message.reqId);
      if (waiter === undefined) return;
      this.waiting.delete(message.reqId);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(`${this.name}: ${message.error}`));
    });
    this.exited = new Promise((resolveExit) =>
      this.child.once('exit', (code, signal) => {
        for (const waiter of this.waiting.values()) waiter.reject(new Error(`${this.name} exited (${code ?? signal})`));
        this.waiting.clear();
        resolveExit();
      }),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  call<T>(command: Command): Promise<T> {
    const reqId = this.nextId++;
    return new Promise<T>((resolveCall, reject) => {
      this.waiting.set(reqId, { resolve: resolveCall as (value: unknown) => void, reject });
      this.child.send({ reqId, command });
    });
  }

  async stop(): Promise<void> {
    if (this.child.connected) this.child.disconnect();
    if (!(await waitExit(this.child, 10_000))) await stopChild(this.child, 5_000);
  }
}
