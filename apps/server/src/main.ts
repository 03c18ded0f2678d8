import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { apiOptionsFromConfig, createApi, createGracefulHttpServer, httpLimitsFromConfig, listenHttp } from '@app/api';
import { allowedOriginsFromConfig, createMetrics, runServerProcess } from '@app/core';
import { promptHelperFromConfig } from '@app/prompt-helper';
import { FileVideoStorage, VideoJobStore, startVideoNode, videoStorageDirFromConfig } from '@app/video';
import { createWsServer, parseOrigins, wsServerOptionsFromConfig } from '@app/ws-server';
import { webPage } from './web-page.js';

// The web app's built page (apps/web/dist; scripts/start.mjs builds it when missing or stale).
const webDistDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../web/dist');

// One process: HTTP API and the web page on PORT, WebSocket server on WS_PORT, over one core (one database
// connection), and the video pipeline (it polls the jobs whose lease it holds; with REDIS_URL, nodes share the
// jobs). On SIGTERM / SIGINT both drain together (runServerProcess): no new requests, in-flight ones answered
// (REST and WebSocket), clients closed with 1001, then the pipeline gives its leases up and the core closes.
await runServerProcess({
  name: 'Server',
  async start({ config, logger, core }) {
    const metrics = createMetrics();
    // One prompt helper for both apps: one rate limit per subject over WebSocket and REST together.
    const promptHelper = promptHelperFromConfig(config, {
      logger,
      workspaces: core.service,
      budgetStore: core.budgetStore,
      registry: metrics.registry,
    });
    const video = await startVideoNode(config, { core, logger, metrics });
    const wsOptions = wsServerOptionsFromConfig(config, { core, logger, metrics, promptHelper });
    const ws = await createWsServer({ ...wsOptions, video: video?.requests });
    // Finished videos are served from our storage (DATA_DIR/videos by default) at GET /videos/<jobId>.mp4.
    const videos = video?.videos ?? {
      jobs: await VideoJobStore.create(core.connection),
      storage: new FileVideoStorage(videoStorageDirFromConfig(config)),
    };
    const api = createApi({
      ...apiOptionsFromConfig(config, { core, logger, metrics, authenticator: wsOptions.authenticator, promptHelper }),
      videos,
      video: video?.requests,
    });
    // The page at / (it learns WS_PORT from the served index.html), then the API.
    const page = webPage({ distDir: webDistDir, wsPort: Number(new URL(ws.url).port) });
    if (page === undefined)
      logger.warn(`No web page to serve: ${webDistDir} has no index.html (pnpm --filter @app/web build)`);
    const app = express();
    app.disable('x-powered-by');
    if (page !== undefined) app.use(page);
    app.use(api);
    const http = await listenHttp(createGracefulHttpServer(app, httpLimitsFromConfig(config)), {
      name: 'HTTP API',
      port: config.PORT,
      host: config.HOST,
      shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    });
    // Without authentication, browsers may open WebSockets only from this page: its port is known now (PORT=0).
    ws.guard.allowOrigins(parseOrigins(allowedOriginsFromConfig({ ...config, PORT: Number(new URL(http.url).port) })));
    if (page !== undefined) logger.info(`Web app: open ${http.url}/`);
    // The pipeline stops with the sockets: its leases are given up so another node continues its jobs at once.
    const closeWs = async () => {
      await Promise.all([ws.close(), video?.close()]);
    };
    return [http, { name: 'WebSocket server', url: ws.url, close: closeWs }];
  },
});
