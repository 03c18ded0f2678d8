import { apiOptionsFromConfig, createApi, createGracefulHttpServer, listenHttp } from '@app/api';
import { createMetrics, runServerProcess } from '@app/core';
import { PromptHelper, createPromptMetrics, promptHelperOptionsFromConfig } from '@app/prompt-helper';
import { createWsServer, wsServerOptionsFromConfig } from '@app/ws-server';

// One process: HTTP API on PORT and WebSocket server on WS_PORT over one core (one database connection).
// On SIGTERM / SIGINT both drain together (runServerProcess): no new requests, in-flight ones answered
// (REST and WebSocket), clients closed with 1001, then the core closes.
await runServerProcess({
  name: 'Server',
  async start({ config, logger, core }) {
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
    const http = await listenHttp(createGracefulHttpServer(api), {
      name: 'HTTP API',
      port: config.PORT,
      host: config.HOST,
      shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    });
    return [http, { name: 'WebSocket server', url: ws.url, close: () => ws.close() }];
  },
});
