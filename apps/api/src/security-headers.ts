import type { Request, RequestHandler } from 'express';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * Browser hardening headers (helmet) for every HTTP answer. Common to the page and the API: no framing
 * (`frame-ancestors 'none'` and `X-Frame-Options: DENY`: the board cannot be clicked through a frame),
 * `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`, the cross-origin isolation headers.
 * `upgrade-insecure-requests` is off: a development server on http://127.0.0.1 has no https to upgrade to.
 */
const COMMON: HelmetOptions = {
  frameguard: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
  strictTransportSecurity: false, // the TLS terminator in front of a deployment sets it; meaningless on loopback http
};

/** The API answers JSON and video files: nothing in them may run, load or be framed. */
export function apiSecurityHeaders(): RequestHandler {
  return helmet({
    ...COMMON,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
    },
  });
}

/** A host name safe to write into a policy (letters, digits, dots, dashes; or a bracketed IPv6 address). */
const SAFE_HOST = /^(?:[a-z0-9.-]{1,253}|\[[0-9a-f:.]{2,45}\])$/i;

/**
 * The page's policy: its scripts, styles and images from its own origin only (no inline script or style,
 * no eval), videos from its own `/videos/`, and WebSockets to its own origin (`/ws` behind a proxy) or to
 * `wsPort` on the host it was loaded from.
 */
export function pageSecurityHeaders(options: { wsPort: number }): RequestHandler {
  const webSockets = (req: Request): string => {
    const host = req.hostname;
    if (!SAFE_HOST.test(host)) return "'self'";
    return `'self' ws://${host}:${options.wsPort} wss://${host}:${options.wsPort}`;
  };
  return helmet({
    ...COMMON,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        mediaSrc: ["'self'"],
        fontSrc: ["'self'"],
        connectSrc: [(req) => webSockets(req as Request)],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
  });
}

/** `Cache-Control: no-store` on every answer of the JSON API: nothing of a project is kept by a browser or proxy. */
export const noStore: RequestHandler = (_req, res, next) => {
  res.set('Cache-Control', 'no-store');
  next();
};
