import type { RequestHandler } from 'express';
import { Router } from 'express';
import type { UrlSigner, WsTickets } from '@app/core';
import { ProtocolError } from '@app/protocol';
import { parseId, principalOf } from '../validation.js';
import type { ApiVideos } from './videos.js';

/** The purpose a video link's signature is made for (see UrlSigner). */
const VIDEO_PURPOSE = 'video';
const FILE = /^\/([A-Za-z0-9_-]{1,64})\.mp4$/;

/**
 * Credentials meant for URLs, so no token has to be in one (mounted under `/api`, behind its gate):
 * `POST /api/ws-ticket`: a single-use WebSocket ticket for the caller (`?ticket=` on the upgrade);
 * `GET /api/videos/:jobId/url`: a link to the finished video that plays without a token until it expires.
 */
export function linksRouter(options: {
  tickets: WsTickets | undefined;
  signer: UrlSigner | undefined;
  videos: ApiVideos | undefined;
  videoUrlTtlMs: number;
}): Router {
  const router = Router();
  router.post('/ws-ticket', (_req, res) => {
    if (options.tickets === undefined) throw new ProtocolError('UNAVAILABLE', 'WebSocket tickets are not set up here');
    const { ticket, expiresAt } = options.tickets.issue(principalOf(res));
    res.json({ ticket, expiresAt: new Date(expiresAt).toISOString() });
  });
  router.get('/videos/:jobId/url', async (req, res) => {
    const jobId = parseId('jobId', req.params['jobId']);
    const { videos, signer } = options;
    if (videos === undefined || signer === undefined) throw new ProtocolError('NOT_FOUND', 'No such video');
    const job = await videos.jobs.view(jobId);
    if (job === undefined || job.status !== 'succeeded') throw new ProtocolError('NOT_FOUND', 'No such video');
    const principal = principalOf(res);
    if (principal.projects !== '*' && !principal.projects.has(job.projectId))
      throw new ProtocolError('NOT_FOUND', 'No such video'); // as for a job that does not exist
    const expiresAt = Date.now() + options.videoUrlTtlMs;
    const signature = signer.sign(VIDEO_PURPOSE, jobId, expiresAt);
    res.json({
      url: `/videos/${jobId}.mp4?expires=${expiresAt}&signature=${signature}`,
      expiresAt: new Date(expiresAt).toISOString(),
    });
  });
  return router;
}

/**
 * The door of `/videos`: a request with `signature` is let in by its signature alone (it names the one
 * video, until `expires`), any other goes through `gate` (a token, as for `/api`: the old form).
 */
export function signedOrGate(signer: UrlSigner | undefined, gate: RequestHandler): RequestHandler {
  return (req, res, next) => {
    const { signature, expires } = req.query;
    if (signature === undefined) return gate(req, res, next);
    const jobId = FILE.exec(req.path)?.[1];
    if (
      signer === undefined ||
      jobId === undefined ||
      typeof signature !== 'string' ||
      typeof expires !== 'string' ||
      !signer.verify(VIDEO_PURPOSE, jobId, Number(expires), signature)
    ) {
      throw new ProtocolError('FORBIDDEN', 'The link is invalid or has expired; ask for a new one');
    }
    next();
  };
}
