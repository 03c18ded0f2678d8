import type { Connection } from 'mongoose';
import type { EventBus } from './bus/event-bus.js';
import { InProcessBus } from './bus/in-process.js';
import { connectDatabase } from './db/connect.js';
import { createModels, type Models } from './db/models.js';
import type { Logger } from './logger.js';
import { WorkspaceService } from './workspace-service.js';

export interface CoreOptions {
  mongodbUri: string;
  dbName: string;
  logger: Logger;
  /** Per-operation database timeout; past it requests fail with UNAVAILABLE. */
  dbTimeoutMs?: number;
  bus?: EventBus;
}

/** Everything both apps share: one database connection, the models, the service and the bus. */
export interface Core {
  connection: Connection;
  models: Models;
  service: WorkspaceService;
  bus: EventBus;
  logger: Logger;
  /** True while the database answers (used by /ready). */
  isDatabaseReady(): Promise<boolean>;
  close(): Promise<void>;
}

export async function createCore(options: CoreOptions): Promise<Core> {
  const connection = await connectDatabase({
    uri: options.mongodbUri,
    dbName: options.dbName,
    timeoutMs: options.dbTimeoutMs ?? 5_000,
  });
  try {
    const models = await createModels(connection);
    const bus = options.bus ?? new InProcessBus();
    const service = new WorkspaceService({ models, bus, logger: options.logger.child({ module: 'core' }) });
    const repaired = await service.repairAll();
    if (repaired > 0) options.logger.debug(`checked ${repaired} project logs against the read model`);
    let closed = false;
    return {
      connection,
      models,
      service,
      bus,
      logger: options.logger,
      async isDatabaseReady() {
        if (closed || connection.readyState !== 1 || connection.db === undefined) return false;
        try {
          await connection.db.admin().command({ ping: 1 }, { timeoutMS: 1_000 });
          return true;
        } catch {
          return false;
        }
      },
      async close() {
        if (closed) return;
        closed = true;
        await service.drain();
        await bus.close();
        await connection.close();
      },
    };
  } catch (error) {
    await connection.close().catch(() => {});
    throw error;
  }
}
