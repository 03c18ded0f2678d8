import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { describe, expect, it, vi } from 'vitest';
import { processAlive, runProcess, type RunningProcess } from '@app/core/testing';

// `pnpm start` as a terminal or a process manager runs it: pnpm -> scripts/start.mjs -> apps/server + the embedded database.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const pnpm = process.env['npm_execpath']?.includes('pnpm') ? [process.execPath, process.env['npm_execpath']] : ['pnpm'];

interface Started {
  pnpm: RunningProcess;
  http: string;
  ws: string;
  dbPid: number;
  dataDir: string;
}

/** `pnpm start` in a process group of its own (as a shell runs a foreground job), with its own embedded database. */
async function startPnpm(): Promise<Started> {
  const dataDir = mkdtempSync(join(tmpdir(), 'app-signals-'));
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    PORT: '0',
    WS_PORT: '0',
    DATA_DIR: dataDir,
    LOG_FORMAT: 'pretty',
  };
  delete env['MONGODB_URI'];
  const [command, ...args] = pnpm as [string, ...string[]];
  const started = runProcess(command, [...args, 'start'], { cwd: root, env, detached: true });
  let dbPid = 0;
  try {
    dbPid = Number((await started.waitFor(/\[start\] embedded \S+ on \S+ \(pid (\d+)/))[1]);
    const [, http] = await started.waitFor(/HTTP API listening on (http:\/\/\S+)/);
    const [, ws] = await started.waitFor(/WebSocket server listening on (ws:\/\/\S+)/);
    return { pnpm: started, http: http!, ws: ws!, dbPid, dataDir };
  } catch (error) {
    cleanUp({ pnpm: started, http: '', ws: '', dbPid, dataDir });
    throw error;
  }
}

/** Stops whatever is left of a run (only on failure): its process group and its database, by id. */
function cleanUp(started: Started | undefined): void {
  if (started === undefined) return;
  if (processAlive(-started.pnpm.child.pid!)) process.kill(-started.pnpm.child.pid!, 'SIGKILL');
  if (started.dbPid > 0 && processAlive(started.dbPid)) process.kill(started.dbPid, 'SIGKILL');
  rmSync(started.dataDir, { recursive: true, force: true });
}

/** An open WebSocket that records every frame and its close code. */
async function openSocket(url: string) {
  const socket = new WebSocket(url);
  const frames: { type: string; id?: string; code?: string }[] = [];
  socket.on('message', (data) => frames.push(JSON.parse(String(data)) as { type: string; id?: string }));
  const closed = new Promise<{ code: number; framesBefore: number }>((r) =>
    socket.once('close', (code) => r({ code, framesBefore: frames.length })),
  );
  await vi.waitFor(() => expect(frames[0]?.type).toBe('hello'));
  return { socket, frames, closed };
}

describe('stopping `pnpm start`', () => {
  it('Ctrl-C (SIGINT to the whole process group): one graceful shutdown, in-flight requests answered, 1001, database stopped, exit 0', async () => {
    let started: Started | undefined;
    try {
      started = await startPnpm();
      const { socket, frames, closed } = await openSocket(started.ws);
      const ids = Array.from({ length: 40 }, (_, i) => `c${i}`);
      for (const id of ids)
        socket.send(JSON.stringify({ type: 'workspace.create', id, data: { projectId: 'ctrl-c', name: id } }));
      await vi.waitFor(() => expect(frames.some((f) => f.type === 'ack')).toBe(true));
      // What the terminal does on Ctrl-C: SIGINT to every process of the foreground group (pnpm, start.mjs,
      // the server); pnpm and start.mjs forward it as well.
      process.kill(-started.pnpm.child.pid!, 'SIGINT');

      const { code, framesBefore } = await closed;
      expect(code).toBe(1001);
      // Every request the server took was answered before the close: an ack, or UNAVAILABLE once draining.
      const replies = frames.slice(0, framesBefore).filter((f) => f.id !== undefined);
      expect(replies.map((f) => f.id).sort()).toEqual([...ids].sort());
      for (const reply of replies)
        expect(reply.type === 'ack' || reply.code === 'UNAVAILABLE', JSON.stringify(reply)).toBe(true);

      expect(await started.pnpm.exited).toEqual({ code: 0, signal: null });
      const output = started.pnpm.output();
      expect(output).toContain('SIGINT received: shutting down');
      expect(output).toContain('Shutdown complete');
      expect(output).not.toContain('exiting now');
      expect(output).not.toContain('ELIFECYCLE');
      expect(processAlive(started.dbPid)).toBe(false);
      expect(processAlive(-started.pnpm.child.pid!)).toBe(false); // nothing of the group is left
    } finally {
      cleanUp(started);
    }
  }, 90_000);

  it('SIGTERM to the pnpm process alone (a process manager): the server drains and exits, the database stops, exit 0', async () => {
    let started: Started | undefined;
    try {
      started = await startPnpm();
      const { closed } = await openSocket(started.ws);
      started.pnpm.child.kill('SIGTERM');
      expect((await closed).code).toBe(1001);
      expect(await started.pnpm.exited).toEqual({ code: 0, signal: null });
      expect(started.pnpm.output()).toContain('Shutdown complete');
      expect(processAlive(started.dbPid)).toBe(false);
      // The server and start.mjs are in pnpm's group: none of them is left running.
      await vi.waitFor(() => expect(processAlive(-started!.pnpm.child.pid!)).toBe(false));
      await expect(fetch(`${started.http}/health`)).rejects.toThrow();
    } finally {
      cleanUp(started);
    }
  }, 90_000);
});
