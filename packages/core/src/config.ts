import { z } from 'zod';
import { DEFAULT_HEARTBEAT_MS, DEFAULT_JSON_LIMITS, DEFAULT_MAX_MESSAGE_BYTES, type JsonLimits } from '@app/protocol';
import { trustedProxiesIssues } from './client-address.js';
import { paidProviderKeys } from './local-only.js';

const port = z.coerce.number().int().min(0).max(65_535);
const positiveMs = z.coerce.number().int().positive();
const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value));

/** Every setting of every process, from environment variables. The names are part of the operator contract. */
export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: port.default(3000),
  WS_PORT: port.default(3001),
  HOST: z.string().min(1).default('127.0.0.1'),
  MONGODB_URI: optionalString.pipe(
    z
      .string()
      .regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://')
      .optional(),
  ),
  MONGODB_DB: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,63}$/)
    .default('workspaces'),
  REDIS_URL: optionalString.pipe(
    z
      .string()
      .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
      .optional(),
  ),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 _ . : -')
    .default('wsrt'),
  BUS_RESYNC_MS: z.coerce.number().int().min(0).max(3_600_000).default(5_000),
  /** How long after a commit the read model (workspace documents, project heads) is written; 0: right away. */
  PROJECTION_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(500),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
  LOG_FORMAT: z.enum(['pretty', 'json']).optional(),
  HEARTBEAT_MS: positiveMs.default(DEFAULT_HEARTBEAT_MS),
  MAX_MESSAGE_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(DEFAULT_MAX_MESSAGE_BYTES),
  DB_TIMEOUT_MS: positiveMs.default(5_000),
  /** How many times a starting process tries to reach the database, a second apart, before it gives up (exit 1). */
  DB_CONNECT_ATTEMPTS: z.coerce.number().int().min(1).max(3_600).default(30),
  SHUTDOWN_TIMEOUT_MS: positiveMs.default(10_000),
  /** `jwt` needs a key below; `none` (development only) lets anyone in as one anonymous subject. */
  AUTH_MODE: z.enum(['jwt', 'none']).optional(),
  AUTH_JWT_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  AUTH_JWT_PUBLIC_KEY_FILE: optionalString,
  AUTH_JWKS_FILE: optionalString,
  AUTH_JWT_ISSUER: optionalString,
  AUTH_JWT_AUDIENCE: optionalString,
  AUTH_CLOCK_TOLERANCE_SEC: z.coerce.number().int().min(0).max(600).default(30),
  /** `on`: a token without `exp` is refused (it would never expire on an open connection). */
  AUTH_REQUIRE_EXP: z.enum(['on', 'off']).default('on'),
  /** When set, `GET /metrics` (both ports) answers only requests with `Authorization: Bearer <this>`. */
  METRICS_TOKEN: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  /** Comma-separated exact origins (scheme://host[:port]) allowed to open WebSockets from a browser; unset: any. */
  ALLOWED_ORIGINS: optionalString,
  /**
   * Comma-separated host names (a port, if given, is ignored) requests must name in `Host` (DNS rebinding).
   * Unset: with AUTH_MODE=none the loopback names and HOST, with authentication any.
   */
  ALLOWED_HOSTS: optionalString,
  /** Key of signed video links and WebSocket tickets (at least 32 characters); unset: one drawn once per database and shared through it. */
  URL_SIGNING_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  /** How long a WebSocket ticket (`POST /api/ws-ticket`) may wait for its upgrade; it opens one connection. */
  WS_TICKET_TTL_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
  /** How long a signed video link (`GET /api/videos/:jobId/url`) plays. */
  VIDEO_URL_TTL_MS: z.coerce.number().int().min(10_000).max(86_400_000).default(3_600_000),
  /** `true`: run without authentication (AUTH_MODE=none) although a provider key that spends money is set. */
  ALLOW_UNAUTHENTICATED_WITH_PROVIDER_KEYS: z.enum(['true', 'false']).default('false'),
  /** Proxies whose X-Forwarded-For is trusted for the client address: comma-separated addresses and CIDR ranges (see TrustedProxies). */
  TRUSTED_PROXIES: optionalString.superRefine((value, ctx) => {
    for (const message of trustedProxiesIssues(value)) ctx.addIssue({ code: 'custom', message });
  }),
  RATE_LIMIT_PER_SEC: z.coerce.number().positive().default(50),
  RATE_LIMIT_BURST: z.coerce.number().int().positive().default(100),
  /** Refusals (RATE_LIMITED) held against a connection before it is closed with 1008; they decay at RATE_LIMIT_PER_SEC. */
  RATE_LIMIT_MAX_STRIKES: z.coerce.number().int().positive().default(200),
  /** REST requests per second per subject (per client address when unauthenticated), and the burst saved up. */
  REST_RATE_LIMIT_PER_SEC: z.coerce.number().positive().default(50),
  REST_RATE_LIMIT_BURST: z.coerce.number().int().positive().default(100),
  /** Per-address limits count an IPv6 client by this prefix of its address (a /64 is one subscriber); 128: each address. */
  CLIENT_IPV6_PREFIX_BITS: z.coerce.number().int().min(16).max(128).default(64),
  /** How long the HTTP API waits for a request's headers, and for a whole request, before it answers 408 and closes. */
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(10_000),
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(30_000),
  /** Open HTTP API connections per client address (TRUSTED_PROXIES are not counted); past it new ones are closed. */
  HTTP_MAX_CONNECTIONS_PER_IP: z.coerce.number().int().positive().default(100),
  MAX_CONNECTIONS: z.coerce.number().int().positive().default(10_000),
  MAX_CONNECTIONS_PER_IP: z.coerce.number().int().positive().default(200),
  /**
   * The most memory one client address may make a node hold through its connections, in the worst case
   * (each reading a full frame and owed a full buffer): MAX_CONNECTIONS_PER_IP x (MAX_MESSAGE_BYTES +
   * MAX_BUFFERED_BYTES) must stay within it, or the process refuses to start.
   */
  MAX_BYTES_PER_IP: z.coerce
    .number()
    .int()
    .min(1024 * 1024)
    .default(2 * 1024 * 1024 * 1024),
  MAX_SUBSCRIPTIONS: z.coerce.number().int().positive().default(100),
  MAX_BUFFERED_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024)
    .default(8 * 1024 * 1024),
  /** How long a connection owed more than MAX_BUFFERED_BYTES may take nothing before it is closed as a slow consumer (1013). */
  SLOW_CONSUMER_MS: positiveMs.default(5_000),
  MAX_DATA_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(256 * 1024)
    .default(256 * 1024),
  MAX_DATA_DEPTH: z.coerce.number().int().min(1).max(32).default(32),
  HANDSHAKE_TIMEOUT_MS: positiveMs.default(10_000),
  /** A connection with no subscription that sends nothing for this long is closed (1000). 0 turns it off. */
  IDLE_TIMEOUT_MS: z.coerce.number().int().min(0).default(300_000),
  DATA_DIR: z.string().min(1).default('.data'),
  /** Most live workspaces one project may hold; a create past it is refused with PROJECT_LIMIT. */
  PROJECT_MAX_WORKSPACES: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  /** Most bytes of workspaces one project may hold (data as JSON text, name, 200 bytes each); growth past it is refused with PROJECT_LIMIT. */
  PROJECT_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024)
    .default(64 * 1024 * 1024),
  /** Most projects whose state a node keeps in memory. */
  STATE_CACHE_MAX_PROJECTS: z.coerce.number().int().min(1).default(1_000),
  /** Most bytes of project state a node keeps in memory (counted as PROJECT_MAX_BYTES counts them). */
  STATE_CACHE_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024 * 1024)
    .default(256 * 1024 * 1024),
  /** permessage-deflate on WebSocket connections whose client offers it (CPU and memory per connection: off by default). */
  WS_COMPRESSION: z.enum(['off', 'on']).default('off'),
  /** Frames below this size are sent uncompressed. */
  WS_COMPRESSION_THRESHOLD_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .max(64 * 1024 * 1024)
    .default(1024),
  /** The server's deflate window (server_max_window_bits): 2^bits bytes per connection. */
  WS_COMPRESSION_WINDOW_BITS: z.coerce.number().int().min(9).max(15).default(12),
  /** zlib memLevel of the server's deflate: 2^(memLevel + 9) bytes per connection. */
  WS_COMPRESSION_MEM_LEVEL: z.coerce.number().int().min(1).max(9).default(5),
  /** zlib level: 1 fastest, 9 smallest. */
  WS_COMPRESSION_LEVEL: z.coerce.number().int().min(1).max(9).default(1),
  /** zlib jobs in flight at once in the process (more fragments memory; see ws#1202). */
  WS_COMPRESSION_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  /** Key of the OpenAI API for prompt.enhance. Unset with OPENAI_BASE_URL set: a placeholder key (a simulator); unset with neither: prompt.enhance answers UNAVAILABLE. */
  OPENAI_API_KEY: optionalString,
  /** An OpenAI-compatible endpoint (ending in `/v1`) instead of OpenAI's own; `pnpm start` points it at the simulator when no key is set. */
  OPENAI_BASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^https?:\/\/[^\s]+$/, 'must be an http:// or https:// URL')
      .optional(),
  ),
  /** The model prompt.enhance asks; it must support structured outputs (a JSON schema response format). */
  OPENAI_MODEL: z.string().trim().min(1).default('gpt-4o-mini'),
  /** How long one prompt.enhance waits for the model before UNAVAILABLE (the SDK's own default is 10 minutes). */
  PROMPT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(15_000),
  /** prompt.enhance requests per minute per subject (each costs a model call), refilled continuously. */
  PROMPT_RATE_LIMIT_PER_MIN: z.coerce.number().positive().default(20),
  /** prompt.enhance requests a subject may make at once before the per-minute rate applies. */
  PROMPT_RATE_LIMIT_BURST: z.coerce.number().int().positive().default(5),
  /** prompt.enhance requests per subject per day (UTC), across every node; 0: no daily budget. */
  PROMPT_DAILY_LIMIT_PER_SUBJECT: z.coerce.number().int().min(0).default(500),
  /** prompt.enhance requests per minute of the whole deployment (every subject, every node); 0: none. */
  PROMPT_DEPLOYMENT_LIMIT_PER_MIN: z.coerce.number().int().min(0).default(300),
  /** `max_tokens` of each prompt.enhance model call: the most one call can cost. */
  PROMPT_MAX_TOKENS: z.coerce.number().int().min(64).max(32_768).default(1_500),
  /** video.generate requests that start a job, per subject per day (UTC), across every node; 0: no daily budget. */
  VIDEO_DAILY_LIMIT_PER_SUBJECT: z.coerce.number().int().min(0).default(50),
  /** Runway API key; unset: `pnpm start` runs the simulated provider (apps/provider-sim) instead. Never logged. */
  RUNWAYML_API_SECRET: optionalString,
  /** Runway API base URL; unset: the SDK's default (Runway's API). `pnpm start` points it at the simulator without a key. */
  RUNWAYML_BASE_URL: optionalString.pipe(z.string().url('must be a URL').optional()),
  /** Shortest time between two polls of one video job (Runway asks for at least 5 s). */
  VIDEO_POLL_MS: z.coerce.number().int().min(10).max(600_000).default(5_000),
  /** At most one progress-only `video.status_update` per job this often; status changes and the final one always go. */
  VIDEO_STATUS_INTERVAL_MS: z.coerce.number().int().min(0).max(600_000).default(1_000),
  /** How long a node's claim on a video job lasts without renewal; after a crash another node takes over after it. */
  VIDEO_LEASE_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  /** A video job not finished this long after it was created fails with TIMEOUT (its provider task is cancelled). */
  VIDEO_JOB_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(900_000),
  /** Longest wait for one provider call; a create that times out fails its job (it is never resubmitted). */
  VIDEO_PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  /** Longest download of a finished video into storage. */
  VIDEO_DOWNLOAD_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(120_000),
  /** Directory of finished videos; unset: `videos` under DATA_DIR. */
  VIDEO_STORAGE_DIR: optionalString,
  /** Video jobs at the provider at once over the whole deployment; more wait `queued` and start as slots free. */
  VIDEO_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(10_000).default(20),
  /** Largest finished video downloaded into storage (bytes); a larger one fails its job `DOWNLOAD_FAILED`. */
  VIDEO_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(1024 ** 4)
    .default(512 * 1024 ** 2),
  /**
   * `on`: this server runs video jobs (creates provider tasks, polls them). `off`: it only queues them
   * (written as `pending`), and video workers (`pnpm --filter @app/video worker`) run them.
   */
  VIDEO_PIPELINE: z.enum(['on', 'off']).default('on'),
  /** Days a finished video job (its document, request and image included) and its file are kept; then a sweep removes both. */
  VIDEO_RETENTION_DAYS: z.coerce.number().positive().max(3650).default(30),
});

/** The default of every setting: the schema above is the only place a default lives; code that needs one reads it here. */
export const CONFIG_DEFAULTS: Readonly<z.output<typeof configSchema>> = Object.freeze(configSchema.parse({}));

export type Config = z.output<typeof configSchema> & { LOG_FORMAT: 'pretty' | 'json'; AUTH_MODE: 'jwt' | 'none' };

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses settings; a bad value throws a ConfigError whose message names each bad variable (never its value). */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const config = result.data;
  const hasKey =
    config.AUTH_JWT_SECRET !== undefined ||
    config.AUTH_JWT_PUBLIC_KEY_FILE !== undefined ||
    config.AUTH_JWKS_FILE !== undefined;
  const perIp = config.MAX_CONNECTIONS_PER_IP * (config.MAX_MESSAGE_BYTES + config.MAX_BUFFERED_BYTES);
  if (perIp > config.MAX_BYTES_PER_IP) {
    throw new ConfigError(
      `Invalid configuration:\n  MAX_CONNECTIONS_PER_IP: ${config.MAX_CONNECTIONS_PER_IP} connections x (MAX_MESSAGE_BYTES + MAX_BUFFERED_BYTES) = ${perIp} bytes one address could make this node hold, over MAX_BYTES_PER_IP (${config.MAX_BYTES_PER_IP}): lower one of them, or raise MAX_BYTES_PER_IP knowingly`,
    );
  }
  const keyCount = [config.AUTH_JWT_SECRET, config.AUTH_JWT_PUBLIC_KEY_FILE, config.AUTH_JWKS_FILE].filter(
    (key) => key !== undefined,
  ).length;
  if (keyCount > 1) {
    throw new ConfigError(
      'Invalid configuration:\n  AUTH_JWT_SECRET: set only one of AUTH_JWT_SECRET, AUTH_JWT_PUBLIC_KEY_FILE and AUTH_JWKS_FILE',
    );
  }
  if (config.AUTH_MODE === 'jwt' && !hasKey) {
    throw new ConfigError(
      'Invalid configuration:\n  AUTH_MODE: jwt needs AUTH_JWT_SECRET, AUTH_JWT_PUBLIC_KEY_FILE or AUTH_JWKS_FILE',
    );
  }
  if (config.AUTH_MODE === undefined && !hasKey) {
    throw new ConfigError(
      'Invalid configuration:\n  AUTH_JWT_SECRET: set it (or AUTH_JWT_PUBLIC_KEY_FILE / AUTH_JWKS_FILE), or set AUTH_MODE=none for development without authentication',
    );
  }
  if (config.AUTH_MODE === 'none' && config.NODE_ENV === 'production') {
    throw new ConfigError('Invalid configuration:\n  AUTH_MODE: none is not allowed with NODE_ENV=production');
  }
  const paid = paidProviderKeys(config);
  if (config.AUTH_MODE === 'none' && paid.length > 0 && config.ALLOW_UNAUTHENTICATED_WITH_PROVIDER_KEYS !== 'true') {
    throw new ConfigError(
      `Invalid configuration:\n  AUTH_MODE: none with ${paid.join(' and ')} set would let anyone who reaches this server spend provider credit; set AUTH_JWT_SECRET (or another key), or ALLOW_UNAUTHENTICATED_WITH_PROVIDER_KEYS=true to accept that`,
    );
  }
  return {
    ...config,
    AUTH_MODE: config.AUTH_MODE ?? 'jwt',
    LOG_FORMAT: config.LOG_FORMAT ?? (config.NODE_ENV === 'production' ? 'json' : 'pretty'),
  };
}

/** Workspace `data` limits of MAX_DATA_BYTES / MAX_DATA_DEPTH, for every write path (WebSocket and REST); the protocol's own when unchanged. */
export function dataLimitsFromConfig(config: Pick<Config, 'MAX_DATA_BYTES' | 'MAX_DATA_DEPTH'>): JsonLimits {
  return config.MAX_DATA_BYTES === DEFAULT_JSON_LIMITS.maxBytes &&
    config.MAX_DATA_DEPTH === DEFAULT_JSON_LIMITS.maxDepth
    ? DEFAULT_JSON_LIMITS
    : { ...DEFAULT_JSON_LIMITS, maxBytes: config.MAX_DATA_BYTES, maxDepth: config.MAX_DATA_DEPTH };
}
