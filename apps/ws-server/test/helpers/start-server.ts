import { createLogger, type Core, type Logger } from '@app/core';
import { createTestCore, testDbName } from '@app/core/testing';
import { Writable } from 'node:stream';
import { createWsServer, type WsServer, type WsServerOptions } from '../../src/server.js';

export interface TestServer {
  url: string;
  core: Core;
  server: WsServer;
  dbName: string;
  logs: string[];
  /** Stops the ws server and the core; the database is kept unless `drop` (default true). */
  close(options?: { drop?: boolean }): Promise<void>;
}

/** Collects log lines in memory so tests can read them. */
export function memoryLogger(lines: string[], level = 'debug'): Logger {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString().trimEnd());
      callback();
    },
  });
  return createLogger({ level, format: 'pretty', stream });
}

/** A real ws server on port 0 over a real database. Pass `dbName` to reopen an existing database (restart). */
export async function startServer(
  mongodbUri: string,
  options: Partial<Omit<WsServerOptions, 'core' | 'logger'>> & { dbName?: string } = {},
): Promise<TestServer> {
  const { dbName = testDbName('ws'), ...serverOptions } = options;
  const logs: string[] = [];
  const logger = memoryLogger(logs);
  const core = await createTestCore(mongodbUri, dbName);
  const server = await createWsServer({ core, logger, port: 0, ...serverOptions });
  return {
    url: server.url,
    core,
    server,
    dbName,
    logs,
    async close({ drop = true } = {}) {
      await server.close();
      if (drop) await core.close();
      else await core.connection.close();
    },
  };
}
