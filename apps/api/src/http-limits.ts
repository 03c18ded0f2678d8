import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { TrustedProxies, addressKey, canonicalAddress, type Config } from '@app/core';

/** Limits of the HTTP server itself, before Express sees a request. */
export interface HttpServerLimits {
  /** Longest wait for a request's headers (slowloris); then 408 and the connection is closed. */
  headersTimeoutMs: number;
  /** Longest wait for a whole request, body included; then 408. */
  requestTimeoutMs: number;
  /** Open connections per client address; past it a new one is closed at once. */
  maxConnectionsPerIp: number;
  /** Peers not counted (proxies that carry many clients' connections). */
  trustedProxies: TrustedProxies;
  /** IPv6 peers are counted by this prefix of their address. */
  ipv6PrefixBits: number;
}

/** The settings HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS, HTTP_MAX_CONNECTIONS_PER_IP, CLIENT_IPV6_PREFIX_BITS. */
export function httpLimitsFromConfig(config: Config): HttpServerLimits {
  return {
    headersTimeoutMs: config.HTTP_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: Math.max(config.HTTP_REQUEST_TIMEOUT_MS, config.HTTP_HEADERS_TIMEOUT_MS),
    maxConnectionsPerIp: config.HTTP_MAX_CONNECTIONS_PER_IP,
    trustedProxies: new TrustedProxies(config.TRUSTED_PROXIES),
    ipv6PrefixBits: config.CLIENT_IPV6_PREFIX_BITS,
  };
}

/** The options of `http.createServer` for these limits (Node checks its timeouts every `connectionsCheckingInterval`). */
export function httpServerOptions(limits: HttpServerLimits): {
  headersTimeout: number;
  requestTimeout: number;
  connectionsCheckingInterval: number;
} {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
  };
}

/**
 * Caps the connections one client address holds open: a socket past the cap is destroyed as it is
 * accepted, before any byte of it is read. Returns the live count per key (for tests and metrics).
 */
export function capConnectionsPerAddress(server: Server, limits: HttpServerLimits): ReadonlyMap<string, number> {
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const remote = socket.remoteAddress;
    if (remote === undefined) return;
    const address = canonicalAddress(remote) ?? remote;
    if (limits.trustedProxies.has(address)) return;
    const key = addressKey(address, limits.ipv6PrefixBits);
    const count = open.get(key) ?? 0;
    if (count >= limits.maxConnectionsPerIp) {
      socket.destroy();
      return;
    }
    open.set(key, count + 1);
    socket.once('close', () => {
      const left = (open.get(key) ?? 1) - 1;
      if (left > 0) open.set(key, left);
      else open.delete(key);
    });
  });
  return open;
}
