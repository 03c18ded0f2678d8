import { createMetrics, runServerProcess } from '@app/core';
import { promptHelperFromConfig } from '@app/prompt-helper';
import { createApi } from './app.js';
import { createGracefulHttpServer } from './graceful-http.js';
import { httpLimitsFromConfig } from './http-limits.js';
import { listenHttp } from './listen-http.js';
import { apiOptionsFromConfig } from './options-from-config.js';

// The stand-alone HTTP API: start-up, logging and shutdown are those of every process (runServerProcess).
await runServerProcess({
  name: 'HTTP API',
  async start({ config, logger, core }) {
    if (config.AUTH_MODE === 'none') logger.warn('*** AUTHENTICATION IS OFF (AUTH_MODE=none): development only. ***');
    const metrics = createMetrics();
    const promptHelper = promptHelperFromConfig(config, {
      logger,
      workspaces: core.service,
      budgetStore: core.budgetStore,
      registry: metrics.registry,
    });
    const api = createApi(apiOptionsFromConfig(config, { core, logger, metrics, promptHelper }));
    const http = createGracefulHttpServer(api, httpLimitsFromConfig(config));
    return [
      await listenHttp(http, {
        name: 'HTTP API',
        port: config.PORT,
        host: config.HOST,
        shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
      }),
    ];
  },
});
