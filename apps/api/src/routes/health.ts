import { Router } from 'express';

/** `GET /health`: liveness. Answers 200 while the process runs, whatever the database does. */
export function healthRouter(): Router {
  const router = Router();
  router.get('/health', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  return router;
}
