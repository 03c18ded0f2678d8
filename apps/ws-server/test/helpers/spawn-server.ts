import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const appDir = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL unless it has exited already; resolves once it has. */
  kill(): Promise<void>;
}

/** Runs `src/main.ts` of the ws-server as its own process (port 0) and resolves once it listens. */
export async function spawnServer(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--conditions=@app/source', '--import', 'tsx', 'src/main.ts'], {
    cwd: appDir,
    env: {
      ...process.env,
      WS_PORT: '0',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_FORMAT: 'pretty',
      LOG_LEVEL: 'info',
      AUTH_MODE: 'none',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) =>
    child.once('exit', (code, signal) => resolveExit({ code, signal })),
  );
  const url = await new Promise<string>((resolveUrl, reject) => {
    const onData = (chunk: Buffer): void => {
      for (const line of chunk.toString().split('\n')) {
        if (line.trim() === '') continue;
        output.push(line);
        const match = /WebSocket server listening on (ws:\/\/\S+)/.exec(line);
        if (match) resolveUrl(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(({ code }) => reject(new Error(`server exited early (${code}):\n${output.join('\n')}`)));
  });
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  return { child, url, output, exited, kill };
}
