import { apiOptionsFromConfig, createApi, createGracefulHttpServer, listenHttp } from '@app/api';
import { createMetrics, runServerProcess } from '@app/core';
import { promptHelperFromConfig } from '@app/prompt-helper';
import { FileVideoStorage, VideoJobStore, startVideoNode, videoStorageDirFromConfig } from '@app/video';
import { createWsServer, wsServerOptionsFromConfig } from '@app/ws-server';

// One process: HTTP API on PORT and WebSocket server on WS_PORT over one core (one database connection),
// and the video pipeline (it polls the jobs whose lease it holds; with REDIS_URL, nodes share the jobs).
// On SIGTERM / SIGINT both drain together (runServerProcess): no new requests, in-flight ones answered
// (REST and WebSocket), clients closed with 1001, then the pipeline gives its leases up and the core closes.
await runServerProcess({
  name: 'Server',
  async start({ config, logger, core }) {
    const metrics = createMetrics();
    // One prompt helper for both apps: one rate limit per subject over WebSocket and REST together.
    const promptHelper = promptHelperFromConfig(config, {
      logger,
      workspaces: core.service,
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
    const http = await listenHttp(createGracefulHttpServer(api), {
      name: 'HTTP API',
      port: config.PORT,
      host: config.HOST,
      shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    });
    // The pipeline stops with the sockets: its leases are given up so another node continues its jobs at once.
    const closeWs = async () => {
      await Promise.all([ws.close(), video?.close()]);
    };
    return [http, { name: 'WebSocket server', url: ws.url, close: closeWs }];
  },
});
