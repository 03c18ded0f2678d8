import type { Request, RequestHandler, Response } from 'express';
import {
  ANONYMOUS,
  KeyedTokenBuckets,
  addressKey,
  clientAddress,
  tokenFromRequest,
  type Authenticator,
  type Metrics,
  type TrustedProxies,
} from '@app/core';
import { ProtocolError } from '@app/protocol';

/** The REST token bucket: REST_RATE_LIMIT_PER_SEC / REST_RATE_LIMIT_BURST. */
export interface RestRateLimit {
  ratePerSec: number;
  burst: number;
  /** Most buckets kept in each store (subjects, addresses); default 100,000. */
  maxKeys?: number;
}

export const DEFAULT_REST_RATE_LIMIT: RestRateLimit = { ratePerSec: 50, burst: 100 };

export interface ApiGateOptions {
  /** Verifies `Authorization: Bearer` tokens; undefined or mode `none`: every caller is the anonymous subject. */
  authenticator: Authenticator | undefined;
  /** The token bucket; `false` turns the limit off. */
  rateLimit: RestRateLimit | false;
  trustedProxies: TrustedProxies;
  /** IPv6 callers are limited by this prefix of their address (CLIENT_IPV6_PREFIX_BITS); default 64. */
  ipv6PrefixBits?: number | undefined;
  metrics: Metrics | undefined;
}

/** The client's address by the same rule as the WebSocket upgrade (rightmost untrusted X-Forwarded-For entry). */
export function requestAddress(req: Request, trustedProxies: TrustedProxies): string {
  return clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], trustedProxies);
}

/**
 * The door of `/api`: authenticates the caller, then takes a token from its bucket: one bucket
 * per subject, per client address for callers that are not authenticated (authentication off, or
 * a request refused with 401, so a flood of bad tokens is limited too). Past it: 429
 * `RATE_LIMITED` with `details.retryAfterMs` and `Retry-After` (set by the error handler).
 */
export function apiGate(options: ApiGateOptions): RequestHandler {
  const { authenticator, trustedProxies, metrics } = options;
  const ipv6PrefixBits = options.ipv6PrefixBits ?? 64;
  // Two stores: a flood of bad tokens from rotating addresses fills the address store, whose least
  // recently used buckets go first, and never evicts (so refills) a subject's bucket.
  const byAddress = options.rateLimit === false ? undefined : new KeyedTokenBuckets(options.rateLimit);
  const bySubject = options.rateLimit === false ? undefined : new KeyedTokenBuckets(options.rateLimit);
  const limit = (buckets: KeyedTokenBuckets | undefined, key: string): void => {
    const retryAfterMs = buckets?.take(key) ?? 0;
    if (retryAfterMs === 0) return;
    metrics?.httpRateLimited.inc();
    throw new ProtocolError('RATE_LIMITED', 'Too many requests; retry later', { details: { retryAfterMs } });
  };
  const limitAddress = (req: Request): void =>
    limit(byAddress, addressKey(requestAddress(req, trustedProxies), ipv6PrefixBits));
  if (authenticator === undefined || authenticator.mode === 'none') {
    return (req, _res, next) => {
      limitAddress(req);
      next();
    };
  }
  return async (req: Request, res: Response, next) => {
    let principal = ANONYMOUS;
    try {
      principal = await authenticator.authenticate(tokenFromRequest(req.headers, req.originalUrl));
    } catch (error) {
      limitAddress(req);
      throw error;
    }
    limit(bySubject, principal.subject);
    res.locals['principal'] = principal;
    next();
  };
}
