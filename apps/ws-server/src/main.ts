import { createMetrics, runServerProcess } from '@app/core';
import { wsServerOptionsFromConfig } from './options-from-config.js';
import { createWsServer } from './server.js';

// The stand-alone WebSocket server: start-up, logging and shutdown are those of every process (runServerProcess).
await runServerProcess({
  name: 'WebSocket server',
  async start({ config, logger, core }) {
    const ws = await createWsServer(wsServerOptionsFromConfig(config, { core, logger, metrics: createMetrics() }));
    return [{ name: 'WebSocket server', url: ws.url, close: () => ws.close() }];
  },
});
