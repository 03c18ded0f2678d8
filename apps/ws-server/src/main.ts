import { bootstrap, createMetrics, handleProcessSignals } from '@app/core';
import { PromptHelper, createPromptMetrics, promptHelperOptionsFromConfig } from '@app/prompt-helper';
import { wsServerOptionsFromConfig } from './options-from-config.js';
import { createWsServer } from './server.js';

const { config, logger, core } = await bootstrap();
const metrics = createMetrics();
const promptHelper = new PromptHelper(
  promptHelperOptionsFromConfig(config, {
    logger,
    workspaces: core.service,
    metrics: createPromptMetrics(metrics.registry),
  }),
);
const ws = await createWsServer(wsServerOptionsFromConfig(config, { core, logger, metrics, promptHelper }));
logger.info(`WebSocket server listening on ${ws.url}`);
handleProcessSignals(
  logger,
  async () => {
    await ws.close();
    await core.close();
  },
  config.SHUTDOWN_TIMEOUT_MS + 5_000,
);
