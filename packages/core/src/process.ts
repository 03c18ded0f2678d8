import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger, redact, type Logger } from './logger.js';
import { coreOptionsFromConfig, createCore, type Core } from './core.js';

/** Writes one line to stderr and ends the process with 1: how every start-up failure ends. */
function exitWithLine(message: string): never {
  process.stderr.write(`${message.replace(/\s*\n\s*/g, ' ')}\n`);
  process.exit(1);
}

/**
 * Reads the configuration or ends the process (1) with one line naming each bad variable (never its value):
 * `Invalid configuration: PORT: ...; LOG_LEVEL: ...`.
 */
export function loadConfigOrExit(env: Record<string, string | undefined> = process.env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      const [head = '', ...issues] = error.message.split('\n').map((line) => line.trim());
      exitWithLine(issues.length === 0 ? head : `${head} ${issues.join('; ')}`);
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

/** Runs `task` up to `attempts` times, `delayMs` apart (mongoose does not retry the first connect to a database). */
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
 * Beyond SHUTDOWN_TIMEOUT_MS (which bounds the drain of requests already taken), the time the core gets to
 * close (read-model writes, database and Redis connections) before the process exits anyway (1).
 */
export const SHUTDOWN_MARGIN_MS = 5_000;

/** How long to wait between attempts to reach the database at start-up. */
export const DB_CONNECT_RETRY_DELAY_MS = 1_000;

/** One service a process runs: its name in the logs, where it listens, and how it drains on shutdown. */
export interface ProcessService {
  /** `HTTP API`, `WebSocket server`: logged as `<name> listening on <url>` and `<name> stopped`. */
  readonly name: string;
  readonly url: string;
  /** Stops taking work and resolves once the work already taken is answered (bounded by SHUTDOWN_TIMEOUT_MS). */
  close(): Promise<void>;
}

export interface ServerProcessContext {
  readonly config: Config;
  readonly logger: Logger;
  /** Connected to MONGODB_URI; closed by the process after its services. */
  readonly core: Core;
}

export interface ServerProcessOptions {
  /** The process in its start-up failure line: `<name> failed to start: <reason>`. */
  readonly name: string;
  /** Starts the services over the connected core; each listens when the promise resolves. */
  start(context: ServerProcessContext): Promise<readonly ProcessService[]>;
  /** The environment the settings are read from (default `process.env`). */
  readonly env?: Record<string, string | undefined>;
}

/**
 * The life of every server process (apps/api, apps/ws-server, apps/server), so they start, log and stop alike:
 * settings (a bad one: one line naming it, exit 1), the logger, the core connected to MONGODB_URI (retried
 * DB_CONNECT_ATTEMPTS times while the database is not reachable yet), the services, one
 * `<name> listening on <url>` line each, then graceful shutdown on SIGTERM / SIGINT (see handleProcessSignals):
 * the services drain together, the core closes, exit 0. Any start-up failure is one line with secrets
 * redacted and no stack, exit 1.
 */
export async function runServerProcess(options: ServerProcessOptions): Promise<void> {
  const config = loadConfigOrExit(options.env);
  const logger = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT });
  const mongodbUri = config.MONGODB_URI;
  if (mongodbUri === undefined) {
    exitWithLine(
      `${options.name} failed to start: MONGODB_URI is not set (start through \`pnpm start\`, which provides an embedded database, or set it)`,
    );
  }
  let core: Core | undefined;
  let services: readonly ProcessService[];
  try {
    const connected = await retry(() => createCore({ mongodbUri, logger, ...coreOptionsFromConfig(config) }), {
      attempts: config.DB_CONNECT_ATTEMPTS,
      delayMs: DB_CONNECT_RETRY_DELAY_MS,
      onRetry: (error, attempt) =>
        logger.warn(
          `Database not reachable yet (${messageOf(error)}); retrying (attempt ${attempt + 1} of ${config.DB_CONNECT_ATTEMPTS})`,
        ),
    });
    core = connected;
    services = await options.start({ config, logger, core: connected });
  } catch (error) {
    await core?.close().catch(() => {});
    exitWithLine(`${options.name} failed to start: ${redact(messageOf(error))}`);
  }
  for (const service of services) logger.info(`${service.name} listening on ${service.url}`);
  const connectedCore = core;
  handleProcessSignals(
    logger,
    async () => {
      // Every service drains at once: no new work anywhere, work already taken answered, then the core closes.
      await Promise.all(
        services.map(async (service) => {
          await service.close();
          logger.info(`${service.name} stopped`);
        }),
      );
      await connectedCore.close();
    },
    config.SHUTDOWN_TIMEOUT_MS + SHUTDOWN_MARGIN_MS,
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
