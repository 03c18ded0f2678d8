import { Router } from 'express';
import type { VideoRequests } from '@app/core';
import { ProtocolError } from '@app/protocol';
import { jsonObjectBody, mutationContext, parseData, parseId, readContext } from '../validation.js';

/**
 * `POST` / `DELETE /api/workspaces/:id/video`: `video.generate` and `video.cancel` over REST, through
 * the same video service as the WebSocket requests (so every subscriber sees the job's statuses).
 * `GET /api/workspaces/:id/videos`: `video.list`, the workspace's jobs (newest first) until retention
 * removes them. Without a video service (no provider configured) all three answer 503 UNAVAILABLE.
 */
export function videoJobsRouter(video: VideoRequests | undefined): Router {
  const router = Router();
  const service = (): VideoRequests => {
    if (video === undefined) throw new ProtocolError('UNAVAILABLE', 'Video generation is not enabled on this server');
    return video;
  };

  router.post('/workspaces/:id/video', async (req, res) => {
    const workspaceId = parseId('id', req.params.id);
    const input = parseData('video.generate', jsonObjectBody(req), { workspaceId });
    res.status(202).json(await service().generate(input, mutationContext(req, res)));
  });

  router.get('/workspaces/:id/videos', async (req, res) => {
    const workspaceId = parseId('id', req.params.id);
    const input = parseData('video.list', {}, { workspaceId });
    res.json(await service().list(input, readContext(res)));
  });

  router.delete('/workspaces/:id/video', async (req, res) => {
    const workspaceId = parseId('id', req.params.id);
    const input = parseData('video.cancel', {}, { workspaceId });
    res.json(await service().cancel(input, mutationContext(req, res)));
  });

  return router;
}
