export { createWsServer, WS_DEFAULTS, type WsServer, type WsServerOptions } from './server.js';
export { startHeartbeat, type Heartbeat, type HeartbeatOptions } from './heartbeat.js';
export { HANDLERS } from './router.js';
export type { Connection } from './connection.js';
