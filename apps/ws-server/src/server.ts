import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  CONFIG_DEFAULTS,
  TrustedProxies,
  createAuthenticator,
  closeCodeLabel,
  hostAllowed,
  logRequestError,
  metricsRequestAllowed,
  type Authenticator,
  type Core,
  type Logger,
  type Metrics,
  type Principal,
  type VideoRequests,
} from '@app/core';
import { CLOSE_CODES, encodeHello, toProtocolError } from '@app/protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import { perMessageDeflateFor, type WsCompressionOptions } from './compression.js';
import { Connection } from './connection.js';
import type { PromptEnhancer } from './handlers/types.js';
import { startHeartbeat } from './heartbeat.js';
import { DEFAULT_LIMITS, type ConnectionLimits } from './limits.js';
import type { RequestErrorSink } from './request-error-sink.js';
import { Rooms } from './rooms.js';
import { Router } from './router.js';
import { UpgradeGuard, refusalResponse } from './upgrade.js';
import { WriteCoalescer } from './write-coalescer.js';
import { ReadGate } from './read-gate.js';

/** Event-log reads of replays and catch-ups in flight at once per server (each reads up to 64 events in parallel). */
const MAX_CONCURRENT_REPLAY_READS = 2;

export interface WsServerOptions {
  core: Core;
  logger: Logger;
  port?: number;
  host?: string;
  heartbeatMs?: number;
  maxMessageBytes?: number;
  shutdownTimeoutMs?: number;
  /** How long a client may take to send its upgrade request (slowloris guard). */
  handshakeTimeoutMs?: number;
  /** Verifies tokens at the upgrade; default: no authentication (one anonymous subject). */
  authenticator?: Authenticator;
  /** Exact origins allowed for browser upgrades; default: any. */
  allowedOrigins?: ReadonlySet<string> | undefined;
  /** Host names the `Host` header of upgrades and of GET /metrics must name (DNS rebinding); default: any. */
  allowedHosts?: ReadonlySet<string> | undefined;
  maxConnections?: number;
  maxConnectionsPerIp?: number;
  /** Proxies whose X-Forwarded-For is believed for the client address; default none. */
  trustedProxies?: TrustedProxies;
  limits?: Partial<ConnectionLimits>;
  metrics?: Metrics;
  /** Per-address caps count IPv6 clients by this prefix (CLIENT_IPV6_PREFIX_BITS); default 64. */
  ipv6PrefixBits?: number | undefined;
  /** When set, `GET /metrics` needs `Authorization: Bearer <this>` (METRICS_TOKEN); default open. */
  metricsToken?: string | undefined;
  /** `video.generate` / `video.cancel` (`@app/video`); default none: they are answered UNAVAILABLE. */
  video?: VideoRequests | undefined;
  /** permessage-deflate, negotiated with clients that offer it; default off. */
  compression?: WsCompressionOptions | undefined;
  /** Answers `prompt.enhance`; without it those requests get UNAVAILABLE. */
  promptHelper?: PromptEnhancer | undefined;
}

export interface WsServer {
  readonly port: number;
  readonly url: string;
  readonly wss: WebSocketServer;
  readonly rooms: Rooms;
  readonly connections: ReadonlySet<Connection>;
  readonly guard: UpgradeGuard;
  /** The HTTP server the WebSocket upgrades arrive on. */
  readonly http: Server;
  /** Sends a message to every open connection (encoded once). */
  broadcast(message: unknown): void;
  /** Graceful stop: no new connections, in-flight requests answered, clients closed with 1001. */
  close(): Promise<void>;
}

/** What a server given no options uses: the settings' defaults of the config schema (`CONFIG_DEFAULTS`). */
export const WS_DEFAULTS = {
  port: CONFIG_DEFAULTS.WS_PORT,
  host: CONFIG_DEFAULTS.HOST,
  heartbeatMs: CONFIG_DEFAULTS.HEARTBEAT_MS,
  maxMessageBytes: CONFIG_DEFAULTS.MAX_MESSAGE_BYTES,
  shutdownTimeoutMs: CONFIG_DEFAULTS.SHUTDOWN_TIMEOUT_MS,
  handshakeTimeoutMs: CONFIG_DEFAULTS.HANDSHAKE_TIMEOUT_MS,
  maxConnections: CONFIG_DEFAULTS.MAX_CONNECTIONS,
  maxConnectionsPerIp: CONFIG_DEFAULTS.MAX_CONNECTIONS_PER_IP,
} as const;

export async function createWsServer(options: WsServerOptions): Promise<WsServer> {
  const settings = { ...WS_DEFAULTS, ...definedOnly(options) };
  const { core, metrics } = options;
  const limits: ConnectionLimits = {
    ...DEFAULT_LIMITS,
    ...definedOnly(options.limits ?? {}),
    maxFrameBytes: settings.maxMessageBytes,
  };
  const authenticator = options.authenticator ?? createAuthenticator({ mode: 'none' });
  const guard = new UpgradeGuard({
    authenticator,
    tickets: core.tickets,
    allowedOrigins: options.allowedOrigins,
    allowedHosts: options.allowedHosts,
    maxConnections: settings.maxConnections,
    maxConnectionsPerIp: settings.maxConnectionsPerIp,
    trustedProxies: options.trustedProxies ?? new TrustedProxies(),
    ipv6PrefixBits: options.ipv6PrefixBits,
    metrics,
  });
  const logger = options.logger.child({ module: 'ws-server' });
  // What the bus misses is read from the event log, as often as the core says its bus needs.
  const rooms = new Rooms(core.bus, {
    fetchAfter: core.busRepair.fetchAfter,
    resyncIntervalMs: core.busRepair.resyncIntervalMs,
    logger,
    metrics,
  });
  const connections = new Set<Connection>();
  const coalescer = new WriteCoalescer();
  const readGate = new ReadGate(MAX_CONCURRENT_REPLAY_READS);
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: settings.maxMessageBytes,
    perMessageDeflate: perMessageDeflateFor(options.compression),
    clientTracking: false,
    handleProtocols: () => false,
  });
  wss.on('error', (error) => logger.error(`WebSocket server error: ${error.message}`));
  wss.on('wsClientError', (error, socket, request) => {
    logger.warn(`Rejected handshake from ${request.socket.remoteAddress ?? 'unknown'}: ${error.message}`);
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    socket.destroy();
  });

  // Request errors are logged under the policy the REST API shares (never a message body).
  const onError: RequestErrorSink = (error, context) => {
    const protocolError = toProtocolError(error);
    logRequestError(logger, {
      where: `${context.requestType ?? 'event delivery'} (session ${context.sessionId})`,
      code: protocolError.code,
      message: protocolError.message,
      thrown: error,
    });
  };
  const router = new Router({
    service: core.service,
    maxFrameBytes: limits.maxFrameBytes,
    onError,
    promptHelper: options.promptHelper,
    video: options.video,
  });

  const heartbeat = startHeartbeat({
    heartbeatMs: settings.heartbeatMs,
    onTimeout: () => logger.info('Terminating connection that missed a heartbeat'),
  });

  const http: Server = createServer(
    {
      headersTimeout: settings.handshakeTimeoutMs,
      requestTimeout: settings.handshakeTimeoutMs,
      connectionsCheckingInterval: Math.min(1_000, settings.handshakeTimeoutMs),
      maxHeaderSize: 16 * 1024,
    },
    (request, response) => {
      if (!hostAllowed(request.headers.host, options.allowedHosts)) {
        response.writeHead(403, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ code: 'FORBIDDEN', message: 'Host not allowed' }));
        return;
      }
      if (metrics !== undefined && request.method === 'GET' && request.url === '/metrics') {
        if (!metricsRequestAllowed(request.headers.authorization, options.metricsToken)) {
          response.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end();
          return;
        }
        metrics.registry.metrics().then(
          (text) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
          () => response.writeHead(500).end(),
        );
        return;
      }
      response.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket', connection: 'Upgrade' });
      response.end('This port speaks WebSocket only\n');
    },
  );
  http.on('clientError', (_error, socket) => socket.destroy());
  let closing = false;

  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (closing) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    // A client that half-closes (FIN) before its upgrade is decided can no longer become a WebSocket:
    // close it now, which frees its slot without waiting for authentication to end.
    const socketOnEndWhileDeciding = (): void => void socket.destroy();
    socket.once('end', socketOnEndWhileDeciding);
    void guard.check(request, socket).then((decision) => {
      socket.off('end', socketOnEndWhileDeciding);
      if (!decision.ok) {
        logger.info(`Refused upgrade from ${guard.clientIp(request)}: ${decision.status} ${decision.reason}`);
        if (socket.writable) socket.end(refusalResponse(decision));
        socket.destroy();
        return;
      }
      // Every way out from here closes the socket, which releases its slot: ws answers a bad
      // handshake through 'wsClientError' (above) and destroys a half-closed socket without calling back.
      if (closing || socket.destroyed) {
        socket.destroy();
        return;
      }
      wss.handleUpgrade(request, socket, head, (ws) => onConnection(ws, decision.principal, decision.ip));
    });
  });

  function onSocketError(error: Error): void {
    logger.warn(`Socket error: ${error.message}`);
  }

  function onConnection(socket: WebSocket, principal: Principal, ip: string): void {
    socket.on('error', onSocketError);
    const connection = new Connection(socket, {
      core,
      rooms,
      router,
      principal,
      limits,
      metrics,
      coalescer,
      readGate,
      onError,
    });
    connections.add(connection);
    metrics?.connections.inc();
    heartbeat.watch(socket);
    logger.info(
      `Client connected: session ${connection.sessionId} from ${ip}${authenticator.mode === 'jwt' ? ` as ${principal.subject}` : ''} (${connections.size} open)`,
    );
    socket.on('close', (code, reason) => {
      // 'close' is emitted once per socket: `on` spares the wrapper `once` would allocate per connection
      const sent = connection.closedWith;
      const closeCode = sent?.code ?? code;
      metrics?.connections.dec();
      metrics?.closes.inc({ code: closeCodeLabel(closeCode) });
      connections.delete(connection);
      const why = sent !== undefined ? sent.reason : reason.toString();
      logger.info(
        `Client disconnected: session ${connection.sessionId} code ${closeCode}${why.length > 0 ? ` (${why})` : ''}${sent !== undefined ? ' by server' : ''} (${connections.size} open)`,
      );
    });
    connection.send(
      encodeHello({
        sessionId: connection.sessionId,
        heartbeatMs: settings.heartbeatMs,
        maxMessageBytes: settings.maxMessageBytes,
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
    guard,
    http,
    broadcast(message) {
      const text = Buffer.from(JSON.stringify(message));
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
        rooms.close();
        http.closeAllConnections();
        await stopped;
        await new Promise<void>((resolve) => wss.close(() => resolve()));
      })();
      return closed;
    },
  };
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
