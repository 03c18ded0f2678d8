import {
  TrustedProxies,
  allowedHostsFromConfig,
  allowedOriginsFromConfig,
  authenticatorFromConfig,
  dataLimitsFromConfig,
  paidProviderKeys,
  type Config,
  type Core,
  type Logger,
  type Metrics,
} from '@app/core';
import type { PromptHelper } from '@app/prompt-helper';
import type { WsServerOptions } from './server.js';
import { parseOrigins } from './upgrade.js';

/** Maps the environment settings to server options: the one place that knows both. */
export function wsServerOptionsFromConfig(
  config: Config,
  deps: { core: Core; logger: Logger; metrics?: Metrics; promptHelper?: PromptHelper },
): WsServerOptions {
  const allowedHosts = allowedHostsFromConfig(config);
  const allowedOrigins = allowedOriginsFromConfig(config);
  if (config.AUTH_MODE === 'none') deps.logger.warn(unauthenticatedWarning(config, allowedHosts, allowedOrigins));
  return {
    ...deps,
    port: config.WS_PORT,
    host: config.HOST,
    heartbeatMs: config.HEARTBEAT_MS,
    maxMessageBytes: config.MAX_MESSAGE_BYTES,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    handshakeTimeoutMs: config.HANDSHAKE_TIMEOUT_MS,
    authenticator: authenticatorFromConfig(config),
    allowedOrigins: parseOrigins(allowedOrigins),
    allowedHosts,
    maxConnections: config.MAX_CONNECTIONS,
    maxConnectionsPerIp: config.MAX_CONNECTIONS_PER_IP,
    trustedProxies: new TrustedProxies(config.TRUSTED_PROXIES),
    metricsToken: config.METRICS_TOKEN,
    ipv6PrefixBits: config.CLIENT_IPV6_PREFIX_BITS,
    limits: {
      maxBufferedBytes: config.MAX_BUFFERED_BYTES,
      slowConsumerMs: config.SLOW_CONSUMER_MS,
      maxSubscriptions: config.MAX_SUBSCRIPTIONS,
      ratePerSec: config.RATE_LIMIT_PER_SEC,
      rateBurst: config.RATE_LIMIT_BURST,
      maxStrikes: config.RATE_LIMIT_MAX_STRIKES,
      idleTimeoutMs: config.IDLE_TIMEOUT_MS,
      data: dataLimitsFromConfig(config),
    },
    compression:
      config.WS_COMPRESSION === 'on'
        ? {
            thresholdBytes: config.WS_COMPRESSION_THRESHOLD_BYTES,
            windowBits: config.WS_COMPRESSION_WINDOW_BITS,
            memLevel: config.WS_COMPRESSION_MEM_LEVEL,
            level: config.WS_COMPRESSION_LEVEL,
            concurrencyLimit: config.WS_COMPRESSION_CONCURRENCY,
          }
        : undefined,
  };
}

/** What a server without authentication exposes, and to whom: the start-up warning. */
export function unauthenticatedWarning(
  config: Config,
  allowedHosts: ReadonlySet<string> | undefined,
  allowedOrigins: string | undefined,
): string {
  const paid = paidProviderKeys(config);
  const spend = paid.length > 0 ? `, and spend provider credit (${paid.join(', ')} set)` : '';
  const hosts = allowedHosts === undefined ? 'any Host' : `Host ${[...allowedHosts].join(' / ')}`;
  const origins = allowedOrigins === undefined ? 'any page' : `pages of ${allowedOrigins.split(',').join(' / ')}`;
  return (
    `*** AUTHENTICATION IS OFF (AUTH_MODE=none): anyone who can reach ${config.HOST} (ports ${config.PORT} and ${config.WS_PORT}) ` +
    `can read, change and delete every project, and start video and prompt jobs${spend}. ` +
    `Browsers are let in only with ${hosts} and from ${origins}. Development only. ***`
  );
}
