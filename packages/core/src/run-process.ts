import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';

export interface RunningProcess {
  child: ChildProcess;
  /** stdout and stderr together, in the order they arrived. */
  output: () => string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first match of `pattern` in stdout + stderr; rejects if the process exits first. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>;
}

/** Spawns a command, collecting its stdout and stderr. For tests only. */
export function runProcess(command: string, args: string[], options: SpawnOptions): RunningProcess {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  const onData = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    out += text;
    if (stream === 'stdout') stdout += text;
    else stderr += text;
    for (const listener of [...listeners]) listener();
  };
  child.stdout?.on('data', onData('stdout'));
  child.stderr?.on('data', onData('stderr'));
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  return {
    child,
    output: () => out,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitFor(pattern) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const match = pattern.exec(out);
          if (match === null) return;
          listeners.delete(check);
          resolve(match);
        };
        listeners.add(check);
        check();
        void exited.then(({ code, signal }) =>
          reject(new Error(`exited (${code ?? signal}) before ${pattern}:\n${out}`)),
        );
      });
    },
  };
}

/**
 * Runs an app's TypeScript entry (`src/main.ts` of `appDir`) as its own process on the workspace sources,
 * as `pnpm start` does: `node --conditions=@app/source --import tsx`. For tests only.
 */
export function runTsMain(
  appDir: string,
  env: Record<string, string | undefined>,
  main = 'src/main.ts',
): RunningProcess {
  return runProcess(process.execPath, ['--conditions=@app/source', '--import', 'tsx', main], { cwd: appDir, env });
}

/** Whether a process (or, with a negative id, any process of that group) exists. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
