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
 * How long after the first signal a second one is taken as a copy of it rather than a request to hurry:
 * Ctrl-C sends SIGINT to the whole process group and `pnpm start` / scripts/start.mjs forward it too, so
 * one keypress reaches the server two or three times within milliseconds.
 */
export const SIGNAL_GRACE_MS = 2_000;

/**
 * Graceful shutdown on SIGTERM / SIGINT: runs `close` once (bounded by `timeoutMs`), then exits 0.
 * A second signal within `graceMs` of the first is ignored (a copy of the same Ctrl-C); a later one, or
 * a third signal, exits at once (1). Unhandled rejections and uncaught exceptions are logged, never silent.
 */
export function handleProcessSignals(
  logger: Logger,
  close: () => Promise<void>,
  timeoutMs: number,
  graceMs = SIGNAL_GRACE_MS,
): void {
  let firstAt: number | undefined;
  let signals = 0;
  const stop = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (firstAt !== undefined) {
      const sinceMs = Math.round(performance.now() - firstAt);
      if (signals < 3 && sinceMs < graceMs) {
        logger.info(
          `${signal} again after ${sinceMs} ms: still shutting down (a third signal, or one after ${graceMs} ms, exits at once)`,
        );
        return;
      }
      logger.warn(`${signal} again: exiting now, before the shutdown finished`);
      process.exit(1);
    }
    firstAt = performance.now();
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
    logger.error(`Unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
  });
  process.on('uncaughtException', (error) => {
    logger.error(`Uncaught exception: ${error.stack ?? error.message}`);
    process.exit(1);
  });
}

/** Connects the core, retrying while the database is not yet reachable (mongoose does not retry the first connect). */
export async function retry<T>(
  task: () => Promise<T>,
  options: { attempts: number; delayMs: number; onRetry?: (error: unknown, attempt: number) => void },
): Promise<T> {
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
  const core = await retry(() => createCore({ mongodbUri, logger, ...coreOptionsFromConfig(config) }), {
    attempts: 30,
    delayMs: 1_000,
    onRetry: (error) => logger.warn(`Database not reachable yet (${(error as Error).message}); retrying`),
  });
  return { config, logger, core };
}
