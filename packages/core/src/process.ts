import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { coreOptionsFromConfig, createCore, type Core } from './core.js';

/** Reads the configuration or ends the process with a message naming each bad variable. */
export function loadConfigOrExit(env: Record<string, string | undefined> = process.env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/**
 * Graceful shutdown on SIGTERM / SIGINT: runs `close` once (bounded by `timeoutMs`), then exits.
 * A second signal exits at once. Unhandled rejections and uncaught exceptions are logged, never silent.
 */
export function handleProcessSignals(logger: Logger, close: () => Promise<void>, timeoutMs: number): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    logger.info(`${signal} received: shutting down`);
    const timer = setTimeout(() => {
      logger.error(`Shutdown took longer than ${timeoutMs} ms: exiting`);
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    close().then(
      () => {
        logger.info('Shutdown complete');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error(`Shutdown failed: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('unhandledRejection', (reason) => {
    logger.error(`Unhandled rejection: ${reason instanceof Error ? reason.stack ?? reason.message : String(reason)}`);
  });
  process.on('uncaughtException', (error) => {
    logger.error(`Uncaught exception: ${error.stack ?? error.message}`);
    process.exit(1);
  });
}

/** Connects the core, retrying while the database is not yet reachable (mongoose does not retry the first connect). */
export async function retry<T>(task: () => Promise<T>, options: { attempts: number; delayMs: number; onRetry?: (error: unknown, attempt: number) => void }): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await task();
    } catch (error) {
      if (attempt >= options.attempts) throw error;
      options.onRetry?.(error, attempt);
      await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    }
  }
}

/**
 * The start of every process: settings (exit naming a bad variable), the logger, and the core
 * connected to MONGODB_URI (retried while the database is not reachable yet).
 */
export async function bootstrap(): Promise<{ config: Config; logger: Logger; core: Core }> {
  const config = loadConfigOrExit();
  const logger = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT });
  const mongodbUri = config.MONGODB_URI;
  if (mongodbUri === undefined) {
    logger.error('MONGODB_URI is not set: start through `pnpm start` (embedded database) or set it');
    process.exit(1);
  }
  const core = await retry(
    () => createCore({ mongodbUri, logger, ...coreOptionsFromConfig(config) }),
    {
      attempts: 30,
      delayMs: 1_000,
      onRetry: (error) => logger.warn(`Database not reachable yet (${(error as Error).message}); retrying`),
    },
  );
  return { config, logger, core };
}
