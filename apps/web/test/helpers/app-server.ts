import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTsMain } from '@app/core/testing';

const serverDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../server');

export interface AppServer {
  /** The page: `http://127.0.0.1:<port>/`. */
  readonly httpUrl: string;
  readonly httpPort: number;
  readonly wsPort: number;
  /** Everything it wrote so far (stdout and stderr). */
  output(): string;
  /** SIGTERM (graceful shutdown) and wait for the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL unless it has exited already. */
  kill(): Promise<void>;
}

export interface AppServerOptions {
  mongodbUri: string;
  dbName: string;
  /** Fixed ports (a restart on the same ports); default 0, any free port. */
  httpPort?: number;
  wsPort?: number;
  /** More settings (provider URLs and keys, video polling), over the defaults below. */
  env?: Record<string, string>;
}

/** Runs apps/server/src/main.ts (what `pnpm start` runs, here over the test database) as its own process. */
export async function startAppServer(options: AppServerOptions): Promise<AppServer> {
  const run = runTsMain(serverDir, {
    ...process.env,
    MONGODB_URI: options.mongodbUri,
    MONGODB_DB: options.dbName,
    PORT: String(options.httpPort ?? 0),
    WS_PORT: String(options.wsPort ?? 0),
    HOST: '127.0.0.1',
    AUTH_MODE: 'none',
    LOG_FORMAT: 'pretty',
    LOG_LEVEL: 'info',
    // Events reach the read model (REST reads) at once.
    PROJECTION_DELAY_MS: '0',
    SHUTDOWN_TIMEOUT_MS: '2000',
    ...options.env,
  });
  const [[, http], [, ws]] = await Promise.all([
    run.waitFor(/HTTP API listening on (http:\/\/\S+)/),
    run.waitFor(/WebSocket server listening on (ws:\/\/\S+)/),
  ]);
  const { child } = run;
  const exited = run.exited.then(({ code }) => code);
  const httpPort = Number(new URL(http!).port);
  return {
    httpUrl: `http://127.0.0.1:${httpPort}/`,
    httpPort,
    wsPort: Number(new URL(ws!).port),
    output: () => run.output(),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
