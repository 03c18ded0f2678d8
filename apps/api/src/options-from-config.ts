import {
  TrustedProxies,
  allowedHostsFromConfig,
  authenticatorFromConfig,
  dataLimitsFromConfig,
  type Authenticator,
  type Config,
  type Logger,
  type Metrics,
} from '@app/core';
import type { PromptHelper } from '@app/prompt-helper';
import type { ApiCore, ApiOptions } from './app.js';

/** Maps the environment settings to API options: the one place that knows both. */
export function apiOptionsFromConfig(
  config: Config,
  deps: {
    core: ApiCore;
    logger: Logger;
    metrics?: Metrics;
    authenticator?: Authenticator | undefined;
    promptHelper?: PromptHelper | undefined;
  },
): ApiOptions {
  const { authenticator = authenticatorFromConfig(config), ...rest } = deps;
  return {
    ...rest,
    authenticator,
    maxBodyBytes: config.MAX_MESSAGE_BYTES,
    dataLimits: dataLimitsFromConfig(config),
    rateLimit: { ratePerSec: config.REST_RATE_LIMIT_PER_SEC, burst: config.REST_RATE_LIMIT_BURST },
    trustedProxies: new TrustedProxies(config.TRUSTED_PROXIES),
    metricsToken: config.METRICS_TOKEN,
    ipv6PrefixBits: config.CLIENT_IPV6_PREFIX_BITS,
    allowedHosts: allowedHostsFromConfig(config),
    videoUrlTtlMs: config.VIDEO_URL_TTL_MS,
  };
}
