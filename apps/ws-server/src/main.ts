import { busOptionsFromConfig, createCore, createLogger, createMetrics, handleProcessSignals, loadConfigOrExit, retry } from '@app/core';
import { wsServerOptionsFromConfig } from './options-from-config.js';
import { createWsServer } from './server.js';

const config = loadConfigOrExit();
const logger = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT });
if (config.MONGODB_URI === undefined) {
  logger.error('MONGODB_URI is not set: start through `pnpm start` (embedded database) or set it');
  process.exit(1);
}
const mongodbUri = config.MONGODB_URI;
const core = await retry(() => createCore({ mongodbUri, dbName: config.MONGODB_DB, logger, dbTimeoutMs: config.DB_TIMEOUT_MS, ...busOptionsFromConfig(config) }), {
  attempts: 30,
  delayMs: 1_000,
  onRetry: (error) => logger.warn(`Database not reachable yet (${(error as Error).message}); retrying`),
});
const metrics = createMetrics();
const ws = await createWsServer(wsServerOptionsFromConfig(config, { core, logger, metrics }));
logger.info(`WebSocket server listening on ${ws.url}`);
handleProcessSignals(logger, async () => {
  await ws.close();
  await core.close();
}, config.SHUTDOWN_TIMEOUT_MS + 5_000);
