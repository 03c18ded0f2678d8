import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ConfigError,
  coreOptionsFromConfig,
  createCore,
  createLogger,
  createMetrics,
  loadConfig,
  redact,
  type Config,
} from '@app/core';
import { PromptHelper, createPromptMetrics, promptHelperOptionsFromConfig } from '@app/prompt-helper';
import { createApi } from './app.js';
import { apiOptionsFromConfig } from './options-from-config.js';

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
}

/** Reads config, connects, listens; closes the server and the core on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = readConfig();
  if (config.MONGODB_URI === undefined) {
    fail('MONGODB_URI is not set: the HTTP API needs a MongoDB-compatible server (`pnpm start` provides one).');
  }
  const logger = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT });
  const core = await createCore({ mongodbUri: config.MONGODB_URI, logger, ...coreOptionsFromConfig(config) });
  if (config.AUTH_MODE === 'none') logger.warn('*** AUTHENTICATION IS OFF (AUTH_MODE=none): development only. ***');
  const metrics = createMetrics();
  const promptHelper = new PromptHelper(
    promptHelperOptionsFromConfig(config, {
      logger,
      workspaces: core.service,
      metrics: createPromptMetrics(metrics.registry),
    }),
  );
  const server = createServer(createApi(apiOptionsFromConfig(config, { core, logger, metrics, promptHelper })));
  server.listen(config.PORT, config.HOST);
  try {
    await once(server, 'listening');
  } catch (error) {
    await core.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const host = config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
  logger.info(`HTTP API listening on http://${host}:${port}`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal} received, shutting down`);
    const deadline = setTimeout(() => {
      logger.error(`shutdown took longer than ${config.SHUTDOWN_TIMEOUT_MS} ms; exiting`);
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    deadline.unref();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    closed
      .then(() => core.close())
      .then(() => {
        logger.info('HTTP API stopped');
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  // Start-up failures (database unreachable, port in use): one line, no stack, then exit 1.
  process.stderr.write(`HTTP API failed to start: ${redact(error instanceof Error ? error.message : String(error))}\n`);
  process.exit(1);
});
