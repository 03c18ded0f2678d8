import type { AddressInfo } from 'node:net';
import { createApi } from '@app/api';
import { busOptionsFromConfig, createCore, createLogger, createMetrics, handleProcessSignals, loadConfigOrExit, retry } from '@app/core';
import { createWsServer, wsServerOptionsFromConfig } from '@app/ws-server';

// One process: HTTP API on PORT and WebSocket server on WS_PORT over one core (one database connection).
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
const wsOptions = wsServerOptionsFromConfig(config, { core, logger, metrics });
const ws = await createWsServer(wsOptions);
const api = createApi({ core, logger, metrics, maxBodyBytes: config.MAX_MESSAGE_BYTES, ...(wsOptions.authenticator ? { authenticator: wsOptions.authenticator } : {}) });
const http = api.listen(config.PORT, config.HOST);
await new Promise<void>((resolve, reject) => {
  http.once('listening', resolve);
  http.once('error', reject);
});
const httpPort = (http.address() as AddressInfo).port;
logger.info(`HTTP API listening on http://${config.HOST}:${httpPort}`);
logger.info(`WebSocket server listening on ${ws.url}`);
handleProcessSignals(logger, async () => {
  await ws.close();
  await new Promise<void>((resolve) => {
    http.close(() => resolve());
    http.closeAllConnections();
  });
  await core.close();
}, config.SHUTDOWN_TIMEOUT_MS + 5_000);
