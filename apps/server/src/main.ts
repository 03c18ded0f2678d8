import type { AddressInfo } from 'node:net';
import { apiOptionsFromConfig, createApi } from '@app/api';
import { bootstrap, createMetrics, handleProcessSignals } from '@app/core';
import { createWsServer, wsServerOptionsFromConfig } from '@app/ws-server';

// One process: HTTP API on PORT and WebSocket server on WS_PORT over one core (one database connection).
const { config, logger, core } = await bootstrap();
const metrics = createMetrics();
const wsOptions = wsServerOptionsFromConfig(config, { core, logger, metrics });
const ws = await createWsServer(wsOptions);
const api = createApi(apiOptionsFromConfig(config, { core, logger, metrics, authenticator: wsOptions.authenticator }));
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
