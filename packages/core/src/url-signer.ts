import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Models } from './db/models.js';

/**
 * Short-lived credentials that may travel in a URL (a WebSocket ticket, a video link): HMAC-SHA256 over a
 * purpose, a payload and an expiry, with one key every node shares. A signature made for one purpose is
 * worthless for another.
 */
export class UrlSigner {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length < 32) throw new Error('a URL signing key has at least 32 bytes');
    this.#key = key;
  }

  /** The signature (base64url) of `payload` for `purpose`, valid until `expiresAt` (ms since epoch). */
  sign(purpose: string, payload: string, expiresAt: number): string {
    return createHmac('sha256', this.#key).update(`${purpose}\u0000${expiresAt}\u0000${payload}`).digest('base64url');
  }

  /** True when `signature` is this key's for these values and `expiresAt` is not past `now`. */
  verify(purpose: string, payload: string, expiresAt: number, signature: string, now = Date.now()): boolean {
    if (!Number.isSafeInteger(expiresAt) || expiresAt < now) return false;
    const expected = Buffer.from(this.sign(purpose, payload, expiresAt));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

const KEY_DOC = 'url-signing';

/**
 * The signing key: derived from URL_SIGNING_SECRET when set, otherwise drawn once per database and kept in
 * its `meta` collection (the first node stores it; every node reads the one stored), so links and tickets
 * signed by one node are accepted by every other without a setting.
 */
export async function urlSignerFor(models: Models, secret: string | undefined): Promise<UrlSigner> {
  if (secret !== undefined) return new UrlSigner(createHash('sha256').update(secret).digest());
  const meta = models.Meta.collection;
  try {
    await meta.updateOne(
      { _id: KEY_DOC as never },
      { $setOnInsert: { key: randomBytes(32).toString('base64'), createdAt: new Date() } },
      { upsert: true },
    );
  } catch (error) {
    if ((error as { code?: unknown }).code !== 11000) throw error; // another node stored it at the same time
  }
  const stored = await meta.findOne({ _id: KEY_DOC as never });
  const key = typeof stored?.['key'] === 'string' ? Buffer.from(stored['key'], 'base64') : undefined;
  if (key === undefined || key.length < 32) throw new Error('the URL signing key could not be stored');
  return new UrlSigner(key);
}
