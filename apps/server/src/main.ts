import { apiOptionsFromConfig, createApi, createGracefulHttpServer, listenHttp } from '@app/api';
import { createMetrics, runServerProcess } from '@app/core';
import { FileVideoStorage, VideoJobStore, videoStorageDirFromConfig } from '@app/video';
import { createWsServer, wsServerOptionsFromConfig } from '@app/ws-server';

// One process: HTTP API on PORT and WebSocket server on WS_PORT over one core (one database connection).
// On SIGTERM / SIGINT both drain together (runServerProcess): no new requests, in-flight ones answered
// (REST and WebSocket), clients closed with 1001, then the core closes.
await runServerProcess({
  name: 'Server',
  async start({ config, logger, core }) {
    const metrics = createMetrics();
    const wsOptions = wsServerOptionsFromConfig(config, { core, logger, metrics });
    const ws = await createWsServer(wsOptions);
    // Finished videos are served from our storage (DATA_DIR/videos by default) at GET /videos/<jobId>.mp4.
    const videos = {
      jobs: await VideoJobStore.create(core.connection),
      storage: new FileVideoStorage(videoStorageDirFromConfig(config)),
    };
    const api = createApi({
      ...apiOptionsFromConfig(config, { core, logger, metrics, authenticator: wsOptions.authenticator }),
      videos,
    });
    const http = await listenHttp(createGracefulHttpServer(api), {
      name: 'HTTP API',
      port: config.PORT,
      host: config.HOST,
      shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    });
    return [http, { name: 'WebSocket server', url: ws.url, close: () => ws.close() }];
  },
});
