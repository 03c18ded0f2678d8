import { randomBytes } from 'node:crypto';
import { createCore, type Core } from './core.js';
import { createLogger, type Logger } from './logger.js';

/** A unique database name for one test file or case. */
export function testDbName(prefix = 't'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

export function silentLogger(): Logger {
  return createLogger({ silent: true });
}

/** A core on its own fresh database; `close()` drops the database. For tests only. */
export async function createTestCore(mongodbUri: string, dbName = testDbName()): Promise<Core & { dbName: string }> {
  const core = await createCore({ mongodbUri, dbName, logger: silentLogger(), dbTimeoutMs: 5_000 });
  const close = core.close.bind(core);
  return {
    ...core,
    dbName,
    async close() {
      await core.connection.dropDatabase().catch(() => {});
      await close();
    },
  };
}
