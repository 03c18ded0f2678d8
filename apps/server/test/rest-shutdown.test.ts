import { request as httpRequest } from 'node:http';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import { createTestCore, runTsMain, singleHostOf, startDbProxy, testDbName, viaPort } from '@app/core/testing';

// apps/server/src/main.ts run as a process (what `pnpm start` runs), its database behind a proxy the test can stall.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const uri = inject('mongodbUri');
const target = singleHostOf(uri);
const dbName = testDbName('server_rest');

afterAll(async () => {
  await (await createTestCore(uri, dbName)).close(); // drops it
});

/** A PATCH on a kept-alive connection (the agent of `fetch` would open a new one per request anyway). */
function patch(url: string, body: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolvePatch, reject) => {
    const req = httpRequest(url, { method: 'PATCH', headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolvePatch({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('pnpm start (apps/server) on SIGTERM', () => {
  it.skipIf(target === undefined)(
    'answers a REST PATCH in flight, refuses new connections while draining, closes WebSockets with 1001, exits 0',
    async () => {
      const proxy = await startDbProxy(target!);
      const env: Record<string, string> = {
        ...(process.env as Record<string, string>),
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        PORT: '0',
        WS_PORT: '0',
        AUTH_MODE: 'none',
        LOG_FORMAT: 'pretty',
        MONGODB_URI: viaPort(uri, proxy.port),
        MONGODB_DB: dbName,
        PROJECTION_DELAY_MS: '0',
      };
      const server = runTsMain(resolve(root, 'apps/server'), env);
      try {
        const [, http] = await server.waitFor(/HTTP API listening on (http:\/\/\S+)/);
        const [, wsUrl] = await server.waitFor(/WebSocket server listening on (ws:\/\/\S+)/);
        const created = await fetch(`${http}/api/projects/rest-drain/workspaces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'before' }),
        });
        expect(created.status).toBe(201);
        const { workspace } = (await created.json()) as { workspace: { id: string } };
        const socket = new WebSocket(wsUrl!);
        const socketClosed = new Promise<number>((r) => socket.once('close', (code) => r(code)));
        await new Promise((r) => socket.once('message', r)); // hello

        // The database stalls: the PATCH is in flight when SIGTERM arrives.
        proxy.hold();
        const inFlight = patch(`${http}/api/workspaces/${workspace.id}`, {
          patch: { name: 'during shutdown' },
          expectedVersion: 1,
        }).catch((error: Error) => error);
        await vi.waitFor(() => expect(proxy.heldBytes).toBeGreaterThan(0));
        server.child.kill('SIGTERM');
        await server.waitFor(/SIGTERM received/);
        // Draining: the listener is closed, so a new connection is refused instead of being served or cut.
        await vi.waitFor(() => expect(fetch(`${http}/health`)).rejects.toThrow());
        proxy.release();

        const answered = await inFlight;
        expect(answered).toMatchObject({ status: 200 }); // not a reset connection
        if (answered instanceof Error) throw answered;
        expect(JSON.parse(answered.body)).toMatchObject({
          workspace: { id: workspace.id, name: 'during shutdown', version: 2 },
        });
        expect(await socketClosed).toBe(1001);
        expect(await server.exited).toEqual({ code: 0, signal: null });
        expect(server.output()).toContain('Shutdown complete');
      } finally {
        if (server.child.exitCode === null) server.child.kill('SIGKILL');
        await proxy.close();
      }
    },
    60_000,
  );
});
