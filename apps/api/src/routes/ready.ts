import { Router } from 'express';
import type { Core } from '@app/core';

/** `GET /ready`: readiness. 200 while the database answers a ping, else 503 (take this node out of rotation). */
export function readyRouter(core: Pick<Core, 'isDatabaseReady'>): Router {
  const router = Router();
  router.get('/ready', async (_req, res) => {
    const ready = await core.isDatabaseReady();
    res
      .status(ready ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json({ status: ready ? 'ready' : 'unavailable' });
  });
  return router;
}
