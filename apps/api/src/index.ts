export { createApi, type ApiCore, type ApiOptions } from './app.js';
export {
  HTTP_STATUS,
  createErrorHandler,
  notFoundHandler,
  toHttpError,
  type ErrorBody,
  type HttpError,
} from './error-handler.js';
export { IDEMPOTENCY_HEADER } from './validation.js';
export { apiOptionsFromConfig } from './options-from-config.js';
export { DEFAULT_REST_RATE_LIMIT, type RestRateLimit } from './rate-limit.js';
export { videosRouter, parseRange, type ApiVideos } from './routes/videos.js';
export { createGracefulHttpServer, type GracefulHttpServer } from './graceful-http.js';
export { listenHttp, type ListenHttpOptions } from './listen-http.js';
export { httpLimitsFromConfig, type HttpServerLimits } from './http-limits.js';
export { hostGuard } from './host-guard.js';
export { apiSecurityHeaders, noStore, pageSecurityHeaders } from './security-headers.js';
