import { randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import { ProtocolError } from '@app/protocol';
import type { Principal } from './auth.js';
import { isDuplicateKey, toStorageError } from './db/errors.js';
import type { UrlSigner } from './url-signer.js';

const PURPOSE = 'ws-ticket';
/** Redeemed tickets' nonces, kept until the ticket would have expired anyway. */
const USED_COLLECTION = 'ws_tickets_used';
/** How often, at most, redeemed nonces past their expiry are deleted. */
const SWEEP_EVERY_MS = 60_000;

interface TicketClaims {
  /** subject */
  s: string;
  /** projects: '*' or a list */
  p: '*' | string[];
  /** the token's own expiry (ms), if any: the connection is closed with 4001 then, as with the token */
  t?: number;
  /** single-use nonce */
  n: string;
}

/**
 * Single-use, short-lived WebSocket tickets (`POST /api/ws-ticket`, then `?ticket=` on the upgrade), so a
 * browser never puts its token in a URL. A ticket carries the principal it was issued to and an HMAC of
 * every node's shared key; redeeming it stores its nonce with a unique `_id`, which the database refuses
 * twice (an insert is atomic on FerretDB v1 as on MongoDB), so a ticket opens one connection, on any node.
 */
export class WsTickets {
  #lastSweep = 0;

  constructor(
    private readonly signer: UrlSigner,
    private readonly connection: Connection,
    private readonly ttlMs: number,
  ) {}

  /** A ticket for `principal`, valid for `ttlMs` (never past the token's own expiry). */
  issue(principal: Principal, now = Date.now()): { ticket: string; expiresAt: number } {
    const claims: TicketClaims = {
      s: principal.subject,
      p: principal.projects === '*' ? '*' : [...principal.projects],
      n: randomBytes(16).toString('base64url'),
      ...(principal.expiresAt === undefined ? {} : { t: principal.expiresAt }),
    };
    const expiresAt = Math.min(now + this.ttlMs, principal.expiresAt ?? Infinity);
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return { ticket: `${payload}.${expiresAt}.${this.signer.sign(PURPOSE, payload, expiresAt)}`, expiresAt };
  }

  /** The principal of a valid ticket not used before; marks it used. Throws UNAUTHORIZED otherwise. */
  async redeem(ticket: string, now = Date.now()): Promise<Principal> {
    const refused = new ProtocolError('UNAUTHORIZED', 'Invalid, expired or used ticket');
    const [payload, expiry, signature, ...rest] = ticket.split('.');
    const expiresAt = Number(expiry);
    if (payload === undefined || signature === undefined || rest.length > 0) throw refused;
    if (!this.signer.verify(PURPOSE, payload, expiresAt, signature, now)) throw refused;
    let claims: TicketClaims;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TicketClaims;
    } catch {
      throw refused;
    }
    try {
      await this.connection
        .collection(USED_COLLECTION)
        .insertOne({ _id: claims.n as never, expiresAt: new Date(expiresAt) });
    } catch (error) {
      if (isDuplicateKey(error)) throw refused;
      throw toStorageError(error);
    }
    this.#sweep(now);
    return {
      subject: claims.s,
      projects: claims.p === '*' ? '*' : new Set(claims.p),
      expiresAt: claims.t,
    };
  }

  /** Deletes the nonces of tickets that have expired (they are refused by their expiry anyway). */
  #sweep(now: number): void {
    if (now - this.#lastSweep < SWEEP_EVERY_MS) return;
    this.#lastSweep = now;
    this.connection
      .collection(USED_COLLECTION)
      .deleteMany({ expiresAt: { $lt: new Date(now) } })
      .catch(() => {
        // the next sweep tries again
      });
  }
}

/** The `ticket` query parameter of a request URL, if any. */
export function ticketFromUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const query = url.indexOf('?');
  if (query < 0) return undefined;
  return new URLSearchParams(url.slice(query + 1)).get('ticket') ?? undefined;
}
