import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Core, Logger } from '@app/core';
import { CLOSE_CODES, PROTOCOL_VERSION, toProtocolError, type RequestType } from '@app/protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import { Connection } from './connection.js';
import { startHeartbeat } from './heartbeat.js';
import { Rooms } from './rooms.js';

export interface WsServerOptions {
  core: Core;
  logger: Logger;
  port?: number;
  host?: string;
  heartbeatMs?: number;
  maxMessageBytes?: number;
  maxBufferedBytes?: number;
  maxPendingEvents?: number;
  shutdownTimeoutMs?: number;
}

export interface WsServer {
  readonly port: number;
  readonly url: string;
  readonly wss: WebSocketServer;
  readonly rooms: Rooms;
  readonly connections: ReadonlySet<Connection>;
  /** Sends a message to every open connection (encoded once). */
  broadcast(message: unknown): void;
  /** Graceful stop: no new connections, in-flight requests answered, clients closed with 1001. */
  close(): Promise<void>;
}

export const WS_DEFAULTS = {
  port: 3001,
  host: '127.0.0.1',
  heartbeatMs: 30_000,
  maxMessageBytes: 1024 * 1024,
  maxBufferedBytes: 8 * 1024 * 1024,
  maxPendingEvents: 10_000,
  shutdownTimeoutMs: 10_000,
} as const;

const ANONYMOUS_SUBJECT = 'anonymous';

export async function createWsServer(options: WsServerOptions): Promise<WsServer> {
  const settings = { ...WS_DEFAULTS, ...definedOnly(options) };
  const { core } = options;
  const logger = options.logger.child({ module: 'ws-server' });
  const rooms = new Rooms(core.bus);
  const connections = new Set<Connection>();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: settings.maxMessageBytes,
    perMessageDeflate: false,
    clientTracking: false,
    handleProtocols: () => false,
  });
  wss.on('error', (error) => logger.error(`WebSocket server error: ${error.message}`));
  wss.on('wsClientError', (error, _socket, request) => logger.warn(`Rejected handshake from ${ipOf(request)}: ${error.message}`));

  const onError = (error: unknown, context: { sessionId: string; requestType?: RequestType | undefined }): void => {
    const protocolError = toProtocolError(error);
    const cause = protocolError.cause instanceof Error ? `: ${protocolError.cause.message}` : '';
    logger.error(
      `Request failed (session ${context.sessionId}${context.requestType ? `, ${context.requestType}` : ''}): ${protocolError.code}${cause}`,
    );
  };

  const heartbeat = startHeartbeat({
    heartbeatMs: settings.heartbeatMs,
    onTimeout: () => logger.info('Terminating connection that missed a heartbeat'),
  });

  const http: Server = createServer((_request, response) => {
    response.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket', connection: 'Upgrade' });
    response.end('This port speaks WebSocket only\n');
  });
  http.on('clientError', (_error, socket) => socket.destroy());
  let closing = false;

  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (closing) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => onConnection(ws, request));
  });

  function onConnection(socket: WebSocket, request: IncomingMessage): void {
    socket.on('error', (error) => logger.warn(`Socket error: ${error.message}`));
    const connection = new Connection(socket, {
      core,
      rooms,
      subject: ANONYMOUS_SUBJECT,
      maxBufferedBytes: settings.maxBufferedBytes,
      maxPendingEvents: settings.maxPendingEvents,
      onError,
    });
    connections.add(connection);
    heartbeat.watch(socket);
    const ip = ipOf(request);
    logger.info(`Client connected: session ${connection.sessionId} from ${ip} (${connections.size} open)`);
    socket.once('close', (code, reason) => {
      connections.delete(connection);
      logger.info(
        `Client disconnected: session ${connection.sessionId} code ${code}${reason.length > 0 ? ` (${reason.toString()})` : ''} (${connections.size} open)`,
      );
    });
    connection.send(
      JSON.stringify({
        type: 'hello',
        data: {
          protocol: PROTOCOL_VERSION,
          sessionId: connection.sessionId,
          heartbeatMs: settings.heartbeatMs,
          maxMessageBytes: settings.maxMessageBytes,
        },
      }),
    );
  }

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(settings.port, settings.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  http.on('error', (error) => logger.error(`HTTP server error: ${error.message}`));
  const port = (http.address() as AddressInfo).port;
  const url = `ws://${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${port}/`;

  let closed: Promise<void> | undefined;
  return {
    port,
    url,
    wss,
    rooms,
    connections,
    broadcast(message) {
      const text = JSON.stringify(message);
      for (const connection of connections) connection.send(text);
    },
    close() {
      closed ??= (async () => {
        closing = true;
        const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
        await withTimeout(Promise.allSettled([...connections].map((c) => c.drain())), settings.shutdownTimeoutMs);
        const gone = [...connections].map(
          (connection) =>
            new Promise<void>((resolve) => {
              connection.socket.once('close', () => resolve());
              connection.close(CLOSE_CODES.GOING_AWAY, 'server shutting down');
            }),
        );
        if (!(await withTimeout(Promise.all(gone), 2_000))) {
          for (const connection of connections) connection.socket.terminate();
        }
        heartbeat.stop();
        http.closeAllConnections();
        await stopped;
        await new Promise<void>((resolve) => wss.close(() => resolve()));
      })();
      return closed;
    },
  };
}

function ipOf(request: IncomingMessage): string {
  return request.socket.remoteAddress ?? 'unknown';
}

async function withTimeout(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const done = promise.then(() => true as const);
  const result = await Promise.race([done, timeout]);
  clearTimeout(timer);
  return result;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
