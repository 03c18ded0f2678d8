import { createMetrics, runServerProcess } from '@app/core';
import { promptHelperFromConfig } from '@app/prompt-helper';
import { wsServerOptionsFromConfig } from './options-from-config.js';
import { createWsServer } from './server.js';

// The stand-alone WebSocket server: start-up, logging and shutdown are those of every process (runServerProcess).
await runServerProcess({
  name: 'WebSocket server',
  async start({ config, logger, core }) {
    const metrics = createMetrics();
    // One helper per process: one rate limit per subject across its connections.
    const promptHelper = promptHelperFromConfig(config, {
      logger,
      workspaces: core.service,
      budgetStore: core.budgetStore,
      registry: metrics.registry,
    });
    const ws = await createWsServer(wsServerOptionsFromConfig(config, { core, logger, metrics, promptHelper }));
    return [{ name: 'WebSocket server', url: ws.url, close: () => ws.close() }];
  },
});
