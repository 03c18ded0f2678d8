import express, { type Express } from 'express';
import type { Core, Logger } from '@app/core';
import { DEFAULT_MAX_MESSAGE_BYTES } from '@app/protocol';
import { createErrorHandler, notFoundHandler } from './error-handler.js';
import { healthRouter } from './routes/health.js';
import { readyRouter } from './routes/ready.js';
import { workspacesRouter } from './routes/workspaces.js';

/** The parts of `Core` the HTTP API uses. */
export type ApiCore = Pick<Core, 'service' | 'isDatabaseReady'>;

export interface ApiOptions {
  core: ApiCore;
  logger: Logger;
  /** Largest JSON body accepted; larger ones get 413. Default 1 MiB (the WebSocket frame limit). */
  maxBodyBytes?: number;
}

/** Builds the Express app (no `listen`): health, readiness, workspace REST, then 404 and the error handler. */
export function createApi(options: ApiOptions): Express {
  const { core, logger } = options;
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: options.maxBodyBytes ?? DEFAULT_MAX_MESSAGE_BYTES }));
  app.use(healthRouter());
  app.use(readyRouter(core));
  app.use('/api', workspacesRouter(core.service));
  app.use(notFoundHandler);
  app.use(createErrorHandler(logger));
  return app;
}
