import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

function nextMessage(
  socket: WebSocket,
  match: (frame: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  return new Promise((resolveFrame) => {
    const onMessage = (data: WebSocket.RawData): void => {
      const frame = JSON.parse(data.toString()) as Record<string, unknown>;
      if (!match(frame)) return;
      socket.off('message', onMessage);
      resolveFrame(frame);
    };
    socket.on('message', onMessage);
  });
}

describe('pnpm start (scripts/start.mjs)', () => {
  it('brings up the embedded database, serves HTTP and WebSocket from one process, and stops cleanly on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'app-start-'));
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      PORT: '0',
      WS_PORT: '0',
      DATA_DIR: dataDir,
    };
    delete env['MONGODB_URI'];
    const child = spawn(process.execPath, ['scripts/start.mjs'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const urls = await new Promise<{ http: string; ws: string }>((resolveUrls, reject) => {
        let http: string | undefined;
        let ws: string | undefined;
        const onData = (chunk: Buffer): void => {
          output.push(chunk.toString());
          http ??= /HTTP API listening on (http:\/\/\S+)/.exec(output.join(''))?.[1];
          ws ??= /WebSocket server listening on (ws:\/\/\S+)/.exec(output.join(''))?.[1];
          if (http && ws) resolveUrls({ http, ws });
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        void exited.then((code) => reject(new Error(`start exited (${code}): ${output.join('')}`)));
      });
      expect(output.join('')).toMatch(/embedded (ferretdb|mongod)/);
      const dbPid = Number(/\[start\] embedded \S+ on \S+ \(pid (\d+)/.exec(output.join(''))?.[1]);
      expect(await (await fetch(`${urls.http}/health`)).json()).toEqual({ status: 'ok' });
      expect((await fetch(`${urls.http}/ready`)).status).toBe(200);
      // The web app at /, told where the WebSocket server is; its scripts come from /assets/.
      const page = await fetch(`${urls.http}/`);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await page.text();
      expect(html).toContain(`<meta name="app-ws-port" content="${new URL(urls.ws).port}"`);
      const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      expect(script).toBeDefined();
      expect((await fetch(`${urls.http}${script}`)).headers.get('content-type')).toMatch(/javascript/);

      const socket = new WebSocket(urls.ws);
      const hello = await nextMessage(socket, (f) => f['type'] === 'hello');
      expect(hello['data']).toMatchObject({ protocol: 1 });
      const ack = nextMessage(socket, (f) => f['id'] === 'c1');
      socket.send(
        JSON.stringify({ type: 'workspace.create', id: 'c1', data: { projectId: 'start', name: 'From WS' } }),
      );
      expect((await ack)['type']).toBe('ack');
      const list = (await (await fetch(`${urls.http}/api/projects/start/workspaces`)).json()) as {
        workspaces: { name: string }[];
        seq: number;
      };
      expect(list.seq).toBe(1);
      expect(list.workspaces.map((w) => w.name)).toEqual(['From WS']);

      const closed = new Promise<number>((r) => socket.once('close', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await closed).toBe(1001);
      expect(await exited).toBe(0);
      // The embedded database was stopped with the server, not left behind.
      expect(() => process.kill(dbPid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
