import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { apiOptionsFromConfig, createApi } from '@app/api';
import { bootstrap, createMetrics, handleProcessSignals } from '@app/core';
import { createWsServer, wsServerOptionsFromConfig } from '@app/ws-server';
import { createGracefulHttpServer } from './graceful-http.js';
import { webPage } from './web-page.js';

// One process: HTTP API on PORT and WebSocket server on WS_PORT over one core (one database connection).
const { config, logger, core } = await bootstrap();
const metrics = createMetrics();
const wsOptions = wsServerOptionsFromConfig(config, { core, logger, metrics });
const ws = await createWsServer(wsOptions);
const api = createApi(apiOptionsFromConfig(config, { core, logger, metrics, authenticator: wsOptions.authenticator }));
// The web app's built page (apps/web/dist; scripts/start.mjs builds it when missing) at /, then the API.
const webDistDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../web/dist');
const page = webPage({ distDir: webDistDir, wsPort: Number(new URL(ws.url).port) });
if (page === undefined)
  logger.warn(`No web page to serve: ${webDistDir} has no index.html (pnpm --filter @app/web build)`);
const app = express();
app.disable('x-powered-by');
if (page !== undefined) app.use(page);
app.use(api);
const http = createGracefulHttpServer(app);
http.server.listen(config.PORT, config.HOST);
await new Promise<void>((resolve, reject) => {
  http.server.once('listening', resolve);
  http.server.once('error', reject);
});
const httpPort = (http.server.address() as AddressInfo).port;
logger.info(`HTTP API listening on http://${config.HOST}:${httpPort}`);
if (page !== undefined) logger.info(`Web app: open http://${config.HOST}:${httpPort}/`);
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
