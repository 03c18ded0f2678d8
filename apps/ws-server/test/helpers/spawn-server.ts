import type { ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTsMain } from '@app/core/testing';

const appDir = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** The lines written so far (stdout and stderr). */
  readonly output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL unless it has exited already; resolves once it has. */
  kill(): Promise<void>;
}

/** Runs `src/main.ts` of the ws-server as its own process (port 0) and resolves once it listens. */
export async function spawnServer(env: Record<string, string>): Promise<ServerProcess> {
  const run = runTsMain(appDir, {
    ...process.env,
    WS_PORT: '0',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_FORMAT: 'pretty',
    LOG_LEVEL: 'info',
    AUTH_MODE: 'none',
    ...env,
  });
  const [, url] = await run.waitFor(/WebSocket server listening on (ws:\/\/\S+)/);
  const { child, exited } = run;
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  return {
    child,
    url: url!,
    get output() {
      return run
        .output()
        .split('\n')
        .filter((line) => line.trim() !== '');
    },
    exited,
    kill,
  };
}
