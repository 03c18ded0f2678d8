import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const serverDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../server');

export interface AppServer {
  /** The page: `http://127.0.0.1:<port>/`. */
  readonly httpUrl: string;
  readonly httpPort: number;
  readonly wsPort: number;
  readonly output: string[];
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
}

/** Runs apps/server/src/main.ts (what `pnpm start` runs, here over the test database) as its own process. */
export async function startAppServer(options: AppServerOptions): Promise<AppServer> {
  const child: ChildProcess = spawn(process.execPath, ['--conditions=@app/source', '--import', 'tsx', 'src/main.ts'], {
    cwd: serverDir,
    env: {
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
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  const urls = await new Promise<{ http: string; ws: string }>((resolveUrls, reject) => {
    let http: string | undefined;
    let ws: string | undefined;
    const onData = (chunk: Buffer): void => {
      output.push(chunk.toString());
      const text = output.join('');
      http ??= /HTTP API listening on (http:\/\/\S+)/.exec(text)?.[1];
      ws ??= /WebSocket server listening on (ws:\/\/\S+)/.exec(text)?.[1];
      if (http !== undefined && ws !== undefined) resolveUrls({ http, ws });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`the server exited (${code}) before listening:\n${output.join('')}`)));
  });
  const httpPort = Number(new URL(urls.http).port);
  return {
    httpUrl: `http://127.0.0.1:${httpPort}/`,
    httpPort,
    wsPort: Number(new URL(urls.ws).port),
    output,
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
