export { createWsServer, WS_DEFAULTS, type WsServer, type WsServerOptions } from './server.js';
export { startHeartbeat, type Heartbeat, type HeartbeatOptions } from './heartbeat.js';
export { HANDLERS } from './router.js';
export type { Connection } from './connection.js';
export { wsServerOptionsFromConfig } from './options-from-config.js';
export { UpgradeGuard, normalizeOrigin, parseOrigins } from './upgrade.js';
export { DEFAULT_LIMITS, type ConnectionLimits } from './limits.js';
export { DEFAULT_COMPRESSION, type WsCompressionOptions } from './compression.js';
export { TokenBucket } from './rate-limit.js';
