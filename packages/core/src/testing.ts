import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { CONFIG_DEFAULTS } from './config.js';
import { createCore, type Core, type CoreOptions } from './core.js';
import { createLogger, type Logger } from './logger.js';

/** A unique database name for one test file or case. */
export function testDbName(prefix = 't'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

export function silentLogger(): Logger {
  return createLogger({ silent: true });
}

/** A core on its own fresh database; `close()` drops the database. For tests only. */
export async function createTestCore(
  mongodbUri: string,
  dbName = testDbName(),
  options: Partial<CoreOptions> = {},
): Promise<Core & { dbName: string }> {
  const core = await createCore({
    mongodbUri,
    dbName,
    logger: silentLogger(),
    dbTimeoutMs: CONFIG_DEFAULTS.DB_TIMEOUT_MS,
    ...options,
  });
  const close = core.close.bind(core);
  return {
    ...core,
    dbName,
    async close() {
      await core.service.drain(); // before the drop, so no late write of the read model creates the database again
      await core.connection.dropDatabase().catch(() => {});
      await close();
    },
  };
}

const execFileAsync = promisify(execFile);
const REDIS_CLI = ['-h', '127.0.0.1', '-p', '6379'];

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Whether the machine's Redis (127.0.0.1:6379) answers PING. For tests only. */
export async function redisUp(): Promise<boolean> {
  try {
    return (await redisCli('ping')) === 'PONG';
  } catch {
    return false;
  }
}

export async function redisCli(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('redis-cli', [...REDIS_CLI, ...args], { timeout: 5_000 });
  return stdout.trim();
}

/** Stops the machine's Redis. Callers must `startRedis()` in a finally / afterAll. */
export async function stopRedis(): Promise<void> {
  await redisCli('shutdown', 'nosave').catch(() => '');
  await until(async () => !(await redisUp()), 10_000);
}

/** Starts the machine's Redis again as the machine starts it (no-op when it is up) and waits until it answers. */
export async function startRedis(): Promise<void> {
  if (await redisUp()) return;
  await execFileAsync(
    'redis-server',
    [
      '--daemonize',
      'yes',
      '--bind',
      '127.0.0.1',
      '-::1',
      '--port',
      '6379',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      '/var/lib/redis',
      '--logfile',
      '/var/log/redis/ci.log',
    ],
    { timeout: 10_000 },
  );
  await until(redisUp, 10_000);
}
export { bsonString, singleHostOf, startDbProxy, viaPort, type DbProxy } from './db-proxy.js';
export { processAlive, runProcess, runTsMain, type RunningProcess } from './run-process.js';
