import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// handleProcessSignals in a real process: signals are sent by PID, each after the previous one was seen.
const fixture = fileURLToPath(new URL('./fixtures/signal-process.ts', import.meta.url));

function start(graceMs: number) {
  const child = spawn(process.execPath, ['--conditions=@app/source', '--import', 'tsx', fixture], {
    env: { ...process.env, GRACE_MS: String(graceMs) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    out += chunk.toString();
    for (const waiter of [...waiters]) waiter();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  /** Resolves once `text` has appeared `times` times in the output. */
  const seen = (text: string, times = 1): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (out.split(text).length - 1 < times) return;
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
      check();
      void exited.then((code) => reject(new Error(`exited (${code}) before "${text}" x${times}:\n${out}`)));
    });
  return { child, exited, seen, output: () => out };
}

describe('handleProcessSignals', () => {
  it('takes a second signal within the grace period as a copy of the first: the shutdown finishes and exits 0', async () => {
    const proc = start(60_000);
    try {
      await proc.seen('ready');
      proc.child.kill('SIGINT');
      await proc.seen('closing');
      proc.child.kill('SIGINT');
      await proc.seen('SIGINT again after');
      proc.child.stdin.write('finish\n');
      expect(await proc.exited).toBe(0);
      expect(proc.output()).toContain('Shutdown complete');
      expect(proc.output()).not.toContain('exiting now');
    } finally {
      proc.child.kill('SIGKILL');
    }
  });

  it('exits at once (1) on a third signal', async () => {
    const proc = start(60_000);
    try {
      await proc.seen('ready');
      proc.child.kill('SIGINT');
      await proc.seen('closing');
      proc.child.kill('SIGTERM');
      await proc.seen('SIGTERM again after');
      proc.child.kill('SIGINT');
      expect(await proc.exited).toBe(1);
      expect(proc.output()).toContain('SIGINT again: exiting now');
      expect(proc.output()).not.toContain('Shutdown complete');
    } finally {
      proc.child.kill('SIGKILL');
    }
  });

  it('exits at once (1) on a second signal after the grace period', async () => {
    const proc = start(0);
    try {
      await proc.seen('ready');
      proc.child.kill('SIGTERM');
      await proc.seen('closing');
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(1);
      expect(proc.output()).toContain('SIGTERM again: exiting now');
    } finally {
      proc.child.kill('SIGKILL');
    }
  });
});
