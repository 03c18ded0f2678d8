import type { AddressInfo } from 'node:net';
import { apiOptionsFromConfig, createApi } from '@app/api';
import { bootstrap, createMetrics, handleProcessSignals } from '@app/core';
import { PromptHelper, createPromptMetrics, promptHelperOptionsFromConfig } from '@app/prompt-helper';
import { createWsServer, wsServerOptionsFromConfig } from '@app/ws-server';
import { createGracefulHttpServer } from './graceful-http.js';

// One process: HTTP API on PORT and WebSocket server on WS_PORT over one core (one database connection).
const { config, logger, core } = await bootstrap();
const metrics = createMetrics();
// One prompt helper for both apps: one rate limit per subject over WebSocket and REST together.
const promptHelper = new PromptHelper(
  promptHelperOptionsFromConfig(config, {
    logger,
    workspaces: core.service,
    metrics: createPromptMetrics(metrics.registry),
  }),
);
const wsOptions = wsServerOptionsFromConfig(config, { core, logger, metrics, promptHelper });
const ws = await createWsServer(wsOptions);
const api = createApi(
  apiOptionsFromConfig(config, { core, logger, metrics, authenticator: wsOptions.authenticator, promptHelper }),
);
const http = createGracefulHttpServer(api);
http.server.listen(config.PORT, config.HOST);
await new Promise<void>((resolve, reject) => {
  http.server.once('listening', resolve);
  http.server.once('error', reject);
});
const httpPort = (http.server.address() as AddressInfo).port;
logger.info(`HTTP API listening on http://${config.HOST}:${httpPort}`);
logger.info(`WebSocket server listening on ${ws.url}`);
handleProcessSignals(
  logger,
  async () => {
    // Both sides drain together: no new requests, in-flight ones answered (REST and WebSocket), then clients closed with 1001.
    await Promise.all([ws.close(), http.close(config.SHUTDOWN_TIMEOUT_MS)]);
    await core.close();
  },
  config.SHUTDOWN_TIMEOUT_MS + 5_000,
);
