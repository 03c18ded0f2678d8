import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApi } from '@app/api';
import type { Core } from '@app/core';
import { createTestCore, silentLogger, testDbName } from '@app/core/testing';
import { createWsServer, type WsServer } from '@app/ws-server';

/** The real server a generated client talks to: the REST API and the WebSocket server over one core, on port 0. */
export interface RealServer {
  core: Core;
  httpUrl: string;
  wsUrl: string;
  close(): Promise<void>;
}

export async function startRealServer(mongodbUri: string): Promise<RealServer> {
  const core = await createTestCore(mongodbUri, testDbName('examples'));
  const logger = silentLogger();
  const ws: WsServer = await createWsServer({ core, logger, port: 0 });
  const http = createServer(createApi({ core, logger }));
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const { port } = http.address() as AddressInfo;
  return {
    core,
    httpUrl: `http://127.0.0.1:${port}`,
    wsUrl: ws.url,
    async close() {
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections();
      await closed;
      await ws.close();
      await core.close();
    },
  };
}
