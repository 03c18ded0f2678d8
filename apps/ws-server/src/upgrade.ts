import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  addressKey,
  clientAddress,
  hostAllowed,
  ticketFromUrl,
  tokenFromRequest,
  type Authenticator,
  type Metrics,
  type Principal,
  type TrustedProxies,
} from '@app/core';
import { ProtocolError } from '@app/protocol';

export interface UpgradeGuardOptions {
  authenticator: Authenticator;
  /** Redeems `?ticket=` (single-use, from `POST /api/ws-ticket`); without it a ticket is refused. */
  tickets?: { redeem(ticket: string): Promise<Principal> } | undefined;
  /** Exact origins allowed for browser upgrades; undefined allows any. */
  allowedOrigins: ReadonlySet<string> | undefined;
  /** Host names the `Host` header must name (DNS rebinding); undefined allows any. */
  allowedHosts?: ReadonlySet<string> | undefined;
  maxConnections: number;
  maxConnectionsPerIp: number;
  /** Proxies whose X-Forwarded-For is believed (TRUSTED_PROXIES). */
  trustedProxies: TrustedProxies;
  /** IPv6 clients are counted by this prefix of their address (CLIENT_IPV6_PREFIX_BITS); default 64. */
  ipv6PrefixBits?: number | undefined;
  metrics?: Metrics | undefined;
}

export type UpgradeDecision =
  | { ok: true; principal: Principal; ip: string }
  | { ok: false; status: number; message: string; reason: string; retryAfterSec?: number };

/** Normalises an origin (scheme, host, port) for exact comparison; undefined when it is not a URL origin. */
export function normalizeOrigin(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    return url.origin === 'null' ? undefined : url.origin.toLowerCase();
  } catch {
    return undefined;
  }
}

export function parseOrigins(list: string | undefined): ReadonlySet<string> | undefined {
  if (list === undefined) return undefined;
  const origins = list
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => normalizeOrigin(entry) ?? entry);
  return new Set(origins);
}

/**
 * Decides about an upgrade before the WebSocket exists: `Host` and origin (403), connection caps (429 / 503),
 * token (401). Slots are reserved synchronously, so concurrent handshakes cannot pass a cap.
 *
 * A slot belongs to the socket that reserved it and is released when that socket closes, exactly
 * once: whichever way the upgrade ends (refused here, refused by ws with 400 / 405, the client
 * gone or half-closed during authentication, the connection closed later), the socket closes.
 */
export class UpgradeGuard {
  private readonly perIp = new Map<string, number>();
  private total = 0;

  constructor(private readonly options: UpgradeGuardOptions) {}

  /** Replaces the origins allowed for browser upgrades (the page's own, once its port is known). */
  allowOrigins(origins: ReadonlySet<string> | undefined): void {
    this.options.allowedOrigins = origins;
  }

  get counts(): { total: number; ips: number } {
    return { total: this.total, ips: this.perIp.size };
  }

  /** The address the per-IP cap counts: the rightmost `X-Forwarded-For` entry that is not a trusted proxy (see clientAddress). */
  clientIp(request: IncomingMessage): string {
    return clientAddress(request.socket.remoteAddress, request.headers['x-forwarded-for'], this.options.trustedProxies);
  }

  /** `socket` is the upgrade's socket: the slot reserved for it is released when it closes. */
  async check(request: IncomingMessage, socket: Duplex): Promise<UpgradeDecision> {
    if (!hostAllowed(request.headers.host, this.options.allowedHosts)) {
      return this.refuse(403, 'Host not allowed', 'host');
    }
    const origin = request.headers.origin;
    if (origin !== undefined && this.options.allowedOrigins !== undefined) {
      const normalized = normalizeOrigin(origin);
      if (normalized === undefined || !this.options.allowedOrigins.has(normalized)) {
        return this.refuse(403, 'Origin not allowed', 'origin');
      }
    }
    // Closed already: its 'close' may have been emitted, so it could not release a slot.
    if (socket.destroyed) return this.refuse(400, 'Connection closed', 'closed');
    const ip = this.clientIp(request);
    if (this.total >= this.options.maxConnections)
      return this.refuse(503, 'Server is at its connection limit', 'max-connections', 5);
    const key = addressKey(ip, this.options.ipv6PrefixBits ?? 64);
    const fromIp = this.perIp.get(key) ?? 0;
    if (fromIp >= this.options.maxConnectionsPerIp)
      return this.refuse(429, 'Too many connections from this address', 'max-per-ip', 5);
    this.reserve(key, fromIp, socket);
    try {
      const ticket = ticketFromUrl(request.url);
      const { tickets } = this.options;
      const principal =
        ticket === undefined
          ? await this.options.authenticator.authenticate(tokenFromRequest(request.headers, request.url))
          : tickets === undefined
            ? unauthorized('This server takes no tickets')
            : await tickets.redeem(ticket);
      return { ok: true, principal, ip };
    } catch (error) {
      // A ticket could not be checked against the database: not the client's fault, retry later.
      if (error instanceof ProtocolError && error.code === 'UNAVAILABLE')
        return this.refuse(503, error.message, 'unavailable', 5);
      const message = error instanceof ProtocolError ? error.message : 'Unauthorized';
      return this.refuse(401, message, 'unauthorized');
    }
  }

  private reserve(ip: string, fromIp: number, socket: Duplex): void {
    const { metrics } = this.options;
    this.total += 1;
    this.perIp.set(ip, fromIp + 1);
    metrics?.connectionSlots.inc();
    if (fromIp === 0) metrics?.connectionSlotAddresses.inc();
    socket.once('close', () => {
      this.total -= 1;
      const left = (this.perIp.get(ip) ?? 1) - 1;
      metrics?.connectionSlots.dec();
      if (left > 0) {
        this.perIp.set(ip, left);
        return;
      }
      this.perIp.delete(ip);
      metrics?.connectionSlotAddresses.dec();
    });
  }

  private refuse(status: number, message: string, reason: string, retryAfterSec?: number): UpgradeDecision {
    this.options.metrics?.upgradesRefused.inc({ reason });
    return retryAfterSec === undefined
      ? { ok: false, status, message, reason }
      : { ok: false, status, message, reason, retryAfterSec };
  }
}

function unauthorized(message: string): never {
  throw new ProtocolError('UNAUTHORIZED', message);
}

const STATUS_TEXT: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

/** The raw HTTP response that refuses an upgrade (ws's abortHandshake, with a JSON body). */
export function refusalResponse(decision: Extract<UpgradeDecision, { ok: false }>): string {
  const code =
    decision.status === 401
      ? 'UNAUTHORIZED'
      : decision.status === 403
        ? 'FORBIDDEN'
        : decision.status === 429
          ? 'RATE_LIMITED'
          : 'UNAVAILABLE';
  const body = JSON.stringify({ code, message: decision.message });
  const retry = decision.retryAfterSec === undefined ? '' : `Retry-After: ${decision.retryAfterSec}\r\n`;
  return (
    `HTTP/1.1 ${decision.status} ${STATUS_TEXT[decision.status] ?? 'Error'}\r\n` +
    `Connection: close\r\nContent-Type: application/json\r\n${retry}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}
