import express, { type Express } from 'express';
import {
  CONFIG_DEFAULTS,
  TrustedProxies,
  metricsRequestAllowed,
  type Authenticator,
  type Core,
  type Logger,
  type Metrics,
  type VideoRequests,
} from '@app/core';
import type { PromptHelper } from '@app/prompt-helper';
import {
  DEFAULT_JSON_LIMITS,
  DEFAULT_MAX_MESSAGE_BYTES,
  ProtocolError,
  jsonShapeProblem,
  type JsonLimits,
} from '@app/protocol';
import { createErrorHandler, notFoundHandler } from './error-handler.js';
import { hostGuard } from './host-guard.js';
import { apiSecurityHeaders, noStore } from './security-headers.js';
import { DEFAULT_REST_RATE_LIMIT, apiGate, type RestRateLimit } from './rate-limit.js';
import { healthRouter } from './routes/health.js';
import { linksRouter, signedOrGate } from './routes/links.js';
import { promptRouter } from './routes/prompt.js';
import { readyRouter } from './routes/ready.js';
import { videosRouter, type ApiVideos } from './routes/videos.js';
import { videoJobsRouter } from './routes/video-jobs.js';
import { workspacesRouter } from './routes/workspaces.js';

/** The parts of `Core` the HTTP API uses. */
export type ApiCore = Pick<Core, 'service' | 'isDatabaseReady'> & Partial<Pick<Core, 'signer' | 'tickets'>>;

export interface ApiOptions {
  core: ApiCore;
  logger: Logger;
  /** Largest JSON body accepted; larger ones get 413. Default 1 MiB (the WebSocket frame limit). */
  maxBodyBytes?: number;
  /** Verifies `Authorization: Bearer` tokens on /api; default: no authentication. */
  authenticator?: Authenticator;
  /** Served at GET /metrics (Prometheus text format) when given. */
  metrics?: Metrics;
  /** Per-address limits count IPv6 callers by this prefix (CLIENT_IPV6_PREFIX_BITS); default 64. */
  ipv6PrefixBits?: number | undefined;
  /** When set, `GET /metrics` needs `Authorization: Bearer <this>` (METRICS_TOKEN); default open. */
  metricsToken?: string | undefined;
  /** Limits on workspace `data` stricter than the protocol's (MAX_DATA_BYTES / MAX_DATA_DEPTH); default the protocol's. */
  dataLimits?: JsonLimits;
  /** Token bucket per subject (per client address when unauthenticated) on /api; default 50/s, burst 100; `false`: off. */
  rateLimit?: RestRateLimit | false;
  /** Proxies whose X-Forwarded-For is believed for the client address; default none. */
  trustedProxies?: TrustedProxies;
  /** Answers `POST /api/prompt/enhance`; without it that route answers 503 UNAVAILABLE. */
  promptHelper?: PromptHelper | undefined;
  /** Finished videos served at GET /videos/<jobId>.mp4 (same authentication and rate limit as /api) when given. */
  videos?: ApiVideos;
  /** `POST` / `DELETE /api/workspaces/:id/video` (`@app/video`); without it they answer 503 UNAVAILABLE. */
  video?: VideoRequests | undefined;
  /** How long a signed video link plays (VIDEO_URL_TTL_MS); default one hour. */
  videoUrlTtlMs?: number;
  /** Host names every request's `Host` must name (DNS rebinding), else 403; default: any. */
  allowedHosts?: ReadonlySet<string> | undefined;
}

/** Builds the Express app (no `listen`): health, readiness, authentication and rate limit on /api, workspace REST, prompt.enhance, then 404 and the error handler. */
export function createApi(options: ApiOptions): Express {
  const { core, logger } = options;
  const app = express();
  app.disable('x-powered-by');
  app.use(apiSecurityHeaders());
  app.use(healthRouter());
  app.use(readyRouter(core));
  // Health and readiness answer probes under any name; nothing after them does.
  app.use(hostGuard(options.allowedHosts));
  const { metrics, authenticator } = options;
  if (metrics !== undefined) {
    app.get('/metrics', async (req, res) => {
      if (!metricsRequestAllowed(req.headers.authorization, options.metricsToken)) {
        res
          .status(401)
          .set('www-authenticate', 'Bearer')
          .json({ code: 'UNAUTHORIZED', message: 'A token is required' });
        return;
      }
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });
  }
  const gate = apiGate({
    authenticator,
    rateLimit: options.rateLimit ?? DEFAULT_REST_RATE_LIMIT,
    trustedProxies: options.trustedProxies ?? new TrustedProxies(),
    ipv6PrefixBits: options.ipv6PrefixBits,
    metrics,
  });
  app.use('/api', noStore, gate);
  // Bodies are read and parsed only after the gate: a caller without a valid token costs no 1 MiB parse.
  app.use(
    express.json({
      limit: options.maxBodyBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      // Refuse a body too deep or with too many values before JSON.parse builds it (as WebSocket frames).
      verify: (_req, _res, body) => {
        const problem = jsonShapeProblem(body.toString('utf8'));
        if (problem !== undefined) {
          throw new ProtocolError('INVALID_MESSAGE', 'Request body does not match the schema', {
            details: { issues: [{ path: [], message: problem }] },
          });
        }
      },
    }),
  );
  app.use('/api', workspacesRouter(core.service, options.dataLimits ?? DEFAULT_JSON_LIMITS));
  app.use('/api', promptRouter(options.promptHelper));
  app.use('/api', videoJobsRouter(options.video));
  app.use(
    '/api',
    linksRouter({
      tickets: core.tickets,
      signer: core.signer,
      videos: options.videos,
      videoUrlTtlMs: options.videoUrlTtlMs ?? CONFIG_DEFAULTS.VIDEO_URL_TTL_MS,
    }),
  );
  if (options.videos !== undefined) app.use('/videos', signedOrGate(core.signer, gate), videosRouter(options.videos));
  app.use(notFoundHandler);
  app.use(createErrorHandler(logger));
  return app;
}
