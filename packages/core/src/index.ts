export * from './config.js';
export * from './logger.js';
export * from './request-error-log.js';
export * from './core.js';
export * from './workspace-service.js';
export type { VideoRequests } from './video-requests.js';
export * from './wire-events.js';
export * from './event-log.js';
export * from './keyed-queue.js';
export type { EventBus, EventListener } from './bus/event-bus.js';
export { InProcessBus } from './bus/in-process.js';
// Types only: `ioredis` is loaded (by createCore / createRedisBus) only when REDIS_URL is set.
export type { RedisBus, RedisBusOptions, RedisBusStats } from './bus/redis.js';
export { connectDatabase } from './db/connect.js';
export {
  createModels,
  type Models,
  type EventDoc,
  type StoredEventDoc,
  type WorkspaceDoc,
  type ProjectDoc,
} from './db/models.js';
export { isDuplicateKey, isUnavailable, toStorageError } from './db/errors.js';
export * from './process.js';
export * from './auth.js';
export * from './metrics.js';
export * from './client-address.js';
export * from './local-only.js';
export * from './url-signer.js';
export * from './ws-tickets.js';
export * from './budget.js';
export * from './token-bucket.js';
