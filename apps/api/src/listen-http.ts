import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { ProcessService } from '@app/core';
import type { GracefulHttpServer } from './graceful-http.js';

export interface ListenHttpOptions {
  /** The service in the process's log lines (`HTTP API listening on ...`, `HTTP API stopped`). */
  name: string;
  port: number;
  host: string;
  /** How long a shutdown waits for requests already taken before it cuts their connections. */
  shutdownTimeoutMs: number;
}

/** Listens on `host:port` and returns the server as a service of a process (see runServerProcess in @app/core). */
export async function listenHttp(http: GracefulHttpServer, options: ListenHttpOptions): Promise<ProcessService> {
  http.server.listen(options.port, options.host);
  // `once` rejects on 'error' (port in use, address not available), so a failed listen fails the start.
  await once(http.server, 'listening');
  const { port } = http.server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    name: options.name,
    url: `http://${host}:${port}`,
    close: () => http.close(options.shutdownTimeoutMs),
  };
}
