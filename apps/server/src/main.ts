import type { AddressInfo } from 'node:net';
import { apiOptionsFromConfig, createApi } from '@app/api';
import { bootstrap, createMetrics, handleProcessSignals } from '@app/core';
import { FileVideoStorage, VideoJobStore, videoStorageDirFromConfig } from '@app/video';
import { createWsServer, wsServerOptionsFromConfig } from '@app/ws-server';
import { createGracefulHttpServer } from './graceful-http.js';

// One process: HTTP API on PORT and WebSocket server on WS_PORT over one core (one database connection).
const { config, logger, core } = await bootstrap();
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
