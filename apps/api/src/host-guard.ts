import type { RequestHandler } from 'express';
import { hostAllowed } from '@app/core';

/**
 * Refuses (403 FORBIDDEN) a request whose `Host` names none of `allowedHosts`: a page on another name that
 * was made to resolve to this machine (DNS rebinding) cannot use the API or read the page. No check when
 * `allowedHosts` is undefined.
 */
export function hostGuard(allowedHosts: ReadonlySet<string> | undefined): RequestHandler {
  return (req, res, next) => {
    if (hostAllowed(req.headers.host, allowedHosts)) {
      next();
      return;
    }
    res.status(403).json({ code: 'FORBIDDEN', message: 'Host not allowed' });
  };
}
