import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { capConnectionsPerAddress, httpServerOptions, type HttpServerLimits } from './http-limits.js';

export interface GracefulHttpServer {
  readonly server: Server;
  /**
   * Stops taking requests and resolves once those already taken have been answered, or after
   * `timeoutMs` (then the connections still open are destroyed). New connections are refused; a new
   * request on a kept-alive connection gets 503 `UNAVAILABLE`; every response sent from now on closes
   * its connection.
   */
  close(timeoutMs: number): Promise<void>;
}

const UNAVAILABLE_BODY = JSON.stringify({
  code: 'UNAVAILABLE',
  message: 'Server is shutting down; retry on another node or later',
});

/**
 * An HTTP server for `handler` that drains on shutdown instead of cutting requests already taken. With
 * `limits` (the settings' HTTP_* limits), slow requests time out and each client address may hold only
 * so many connections; without, Node's defaults (5 min per request, no cap).
 */
export function createGracefulHttpServer(handler: RequestListener, limits?: HttpServerLimits): GracefulHttpServer {
  let closing: Promise<void> | undefined;
  const inFlight = new Set<ServerResponse>();
  const server = createServer(limits === undefined ? {} : httpServerOptions(limits), (request, response) => {
    if (closing !== undefined) {
      response.writeHead(503, {
        'content-type': 'application/json; charset=utf-8',
        connection: 'close',
        'retry-after': '1',
      });
      response.end(UNAVAILABLE_BODY);
      return;
    }
    inFlight.add(response);
    response.once('close', () => inFlight.delete(response));
    handler(request, response);
  });
  if (limits !== undefined) capConnectionsPerAddress(server, limits);
  return {
    server,
    close(timeoutMs) {
      closing ??= new Promise<void>((resolve) => {
        // A response not written yet closes its connection once sent, so keep-alive cannot hold the drain open.
        for (const response of inFlight) if (!response.headersSent) response.setHeader('connection', 'close');
        const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
