import type { configSchema } from './config.js';

/** The name of a setting: a key of the config schema (an environment variable). */
export type SettingName = keyof typeof configSchema.shape;

/** One row of a settings table: one setting, or a few read together (`RATE_LIMIT_PER_SEC` / `RATE_LIMIT_BURST`). */
export interface SettingsRow {
  readonly settings: readonly SettingName[];
  /** The third column: what the setting does (Markdown, one line, no `|`). */
  readonly text: string;
}

/** The markdown files whose settings tables are generated, and what their third column is called. */
export const SETTINGS_DOC_FILES = {
  'README.md': { textHeader: 'meaning' },
  'docs/operations.md': { textHeader: 'what it does' },
} as const;

export type SettingsDocFile = keyof typeof SETTINGS_DOC_FILES;

/**
 * The default column of a setting the schema leaves unset (its CONFIG_DEFAULTS value is `undefined`).
 * Every other default is read from CONFIG_DEFAULTS, never written here.
 */
export const UNSET_DEFAULTS: Partial<Record<SettingName, string>> = {
  MONGODB_URI: '(embedded)',
  LOG_FORMAT: '`pretty` (`json` when `NODE_ENV=production`)',
  AUTH_MODE: '`jwt` when a key is set',
  ALLOWED_ORIGINS: '(unset: any; without auth the page on `PORT`)',
  ALLOWED_HOSTS: '(unset: any; without auth the loopback names and `HOST`)',
  RUNWAYML_API_SECRET: '(unset: simulator)',
  RUNWAYML_BASE_URL: "(Runway's API)",
  VIDEO_STORAGE_DIR: '`videos` under `DATA_DIR`',
};

/**
 * The settings tables of README.md and docs/operations.md, by the id of their marker
 * (`<!-- settings-table: <id> -->` ... `<!-- settings-table-end -->`). Every setting of the schema has a row
 * in each file. To add a setting: add it to `configSchema` (packages/core/src/config.ts) with a doc comment,
 * add a row for it to one table of each file here, then run `pnpm docs:settings`.
 */
export const SETTINGS_TABLES: Readonly<Record<SettingsDocFile, Readonly<Record<string, readonly SettingsRow[]>>>> = {
  'README.md': {
    'readme-general': [
      { settings: ['PORT'], text: 'HTTP API port' },
      { settings: ['WS_PORT'], text: 'WebSocket port' },
      { settings: ['HOST'], text: 'interface both listen on' },
      { settings: ['MONGODB_URI'], text: 'MongoDB connection string; unset: the embedded server' },
      { settings: ['MONGODB_DB'], text: 'database name' },
      { settings: ['DATA_DIR'], text: 'where the embedded database keeps its files' },
      { settings: ['LOG_LEVEL'], text: '`error`, `warn`, `info`, `debug`' },
      { settings: ['LOG_FORMAT'], text: '`pretty` is `[YYYY-MM-DD HH:mm:ss] info: message`' },
      { settings: ['NODE_ENV'], text: '`development`, `production`, `test`' },
      { settings: ['HEARTBEAT_MS'], text: 'server ping interval; a peer missing one ping is dropped at the next tick' },
      {
        settings: ['MAX_MESSAGE_BYTES'],
        text: 'largest frame read (close 1009 above it) and sent (longer lists and snapshots go out in `page` frames); also the HTTP body limit',
      },
      {
        settings: ['DB_TIMEOUT_MS'],
        text: 'how long a database operation may wait for the server before `UNAVAILABLE`',
      },
      {
        settings: ['DB_CONNECT_ATTEMPTS'],
        text: 'how many times a starting process tries to reach the database, a second apart, before it exits 1',
      },
      {
        settings: ['PROJECTION_DELAY_MS'],
        text: 'how long after a commit the read model (workspace documents, project heads) is written, all commits meanwhile together; acks never wait for it (`0`: right after each commit)',
      },
      {
        settings: ['SHUTDOWN_TIMEOUT_MS'],
        text: 'how long SIGTERM / SIGINT (Ctrl-C) waits for in-flight requests, REST and WebSocket (see [Stopping](#stopping))',
      },
      {
        settings: ['REDIS_URL'],
        text: '`redis://…`: events travel between nodes over Redis pub/sub (see [`docs/operations.md`](docs/operations.md)); unset: in-process bus, single node',
      },
      { settings: ['REDIS_PREFIX'], text: 'channel prefix, so several deployments can share one Redis' },
      {
        settings: ['BUS_RESYNC_MS'],
        text: 'with Redis: how often each node checks the event log for events the bus missed (`0`: only on gaps and reconnects)',
      },
    ],
    'readme-prompt': [
      {
        settings: ['OPENAI_API_KEY'],
        text: 'OpenAI API key (never logged). Unset: with `OPENAI_BASE_URL`, a placeholder key; with neither, `prompt.enhance` answers `UNAVAILABLE`',
      },
      {
        settings: ['OPENAI_BASE_URL'],
        text: "an OpenAI-compatible endpoint (`…/v1`) instead of OpenAI's; `pnpm start` uses the simulated provider when no key is set",
      },
      { settings: ['OPENAI_MODEL'], text: 'model asked (must support structured outputs)' },
      {
        settings: ['PROMPT_TIMEOUT_MS'],
        text: 'how long one model call may take before `UNAVAILABLE` (no hidden SDK retries)',
      },
      {
        settings: ['PROMPT_RATE_LIMIT_PER_MIN'],
        text: 'requests per minute per subject; past it `RATE_LIMITED` with `retryAfterMs`',
      },
      {
        settings: ['PROMPT_RATE_LIMIT_BURST'],
        text: 'requests a subject may make at once before the per-minute rate applies',
      },
      {
        settings: ['PROMPT_DAILY_LIMIT_PER_SUBJECT'],
        text: '`prompt.enhance` requests per subject per day (UTC), across every node; past it `RATE_LIMITED` with `details.budget`; 0: off',
      },
      {
        settings: ['PROMPT_DEPLOYMENT_LIMIT_PER_MIN'],
        text: '`prompt.enhance` requests per minute of the whole deployment (every subject, every node); 0: off',
      },
      { settings: ['PROMPT_MAX_TOKENS'], text: '`max_tokens` of each model call: the most one call can cost' },
      {
        settings: ['VIDEO_DAILY_LIMIT_PER_SUBJECT'],
        text: 'video jobs a subject may start per day (UTC), across every node; past it `RATE_LIMITED` with `details.budget`; 0: off',
      },
    ],
    'readme-limits': [
      {
        settings: ['AUTH_MODE'],
        text: '`none` = no authentication, one anonymous subject (development only; refused with `NODE_ENV=production`; the server logs a loud warning). `pnpm start` sets it when no key is configured',
      },
      {
        settings: ['AUTH_JWT_SECRET'],
        text: 'HS256 secret (at least 32 characters). Tokens come in `Authorization: Bearer` or `?access_token=`',
      },
      {
        settings: ['AUTH_JWT_PUBLIC_KEY_FILE', 'AUTH_JWKS_FILE'],
        text: 'PEM public key / JWKS file for RS/PS/ES/EdDSA tokens instead of a secret',
      },
      { settings: ['AUTH_JWT_ISSUER', 'AUTH_JWT_AUDIENCE'], text: 'required `iss` / `aud` when set' },
      { settings: ['AUTH_CLOCK_TOLERANCE_SEC'], text: 'leeway for `exp` / `nbf`' },
      {
        settings: ['AUTH_REQUIRE_EXP'],
        text: '`on`: a token without `exp` is refused (`off` accepts tokens that never expire)',
      },
      {
        settings: ['METRICS_TOKEN'],
        text: '`/metrics` on both ports needs `Authorization: Bearer <this>` when set (401 otherwise); unset: open',
      },
      {
        settings: ['ALLOWED_ORIGINS'],
        text: 'comma-separated exact origins (`https://app.example.com`); a browser upgrade from another origin gets 403',
      },
      {
        settings: ['ALLOWED_HOSTS'],
        text: 'comma-separated host names requests must name in `Host` (DNS rebinding), else 403',
      },
      {
        settings: ['URL_SIGNING_SECRET'],
        text: 'key of signed video links and WebSocket tickets; unset: one drawn once per database',
      },
      {
        settings: ['WS_TICKET_TTL_MS'],
        text: 'how long a WebSocket ticket (`POST /api/ws-ticket`) may wait for its upgrade',
      },
      { settings: ['VIDEO_URL_TTL_MS'], text: 'how long a signed video link (`GET /api/videos/:jobId/url`) plays' },
      {
        settings: ['ALLOW_UNAUTHENTICATED_WITH_PROVIDER_KEYS'],
        text: '`true` lets `AUTH_MODE=none` start although a provider key that spends money is set',
      },
      {
        settings: ['TRUSTED_PROXIES'],
        text: "comma-separated proxy addresses and CIDR ranges (IPv4, IPv6; `loopback`, `linklocal`, `uniquelocal`) whose `X-Forwarded-For` is believed: the client is the rightmost entry that is not one of them, as with Express's `trust proxy`; entries further left are never believed. Per-IP limits on WebSocket and REST alike",
      },
      { settings: ['MAX_CONNECTIONS'], text: 'open WebSockets per process; past it upgrades get 503' },
      {
        settings: ['CLIENT_IPV6_PREFIX_BITS'],
        text: 'per-address limits (connections, REST buckets) count an IPv6 client by this prefix of its address; 128: each address',
      },
      {
        settings: ['MAX_BYTES_PER_IP'],
        text: 'start-up check: `MAX_CONNECTIONS_PER_IP` x (`MAX_MESSAGE_BYTES` + `MAX_BUFFERED_BYTES`) must not exceed it',
      },
      {
        settings: ['HTTP_HEADERS_TIMEOUT_MS', 'HTTP_REQUEST_TIMEOUT_MS'],
        text: 'HTTP API: longest wait for request headers / a whole request (408)',
      },
      {
        settings: ['HTTP_MAX_CONNECTIONS_PER_IP'],
        text: 'open HTTP API connections per client address (`TRUSTED_PROXIES` not counted)',
      },
      { settings: ['MAX_CONNECTIONS_PER_IP'], text: 'per client address; past it upgrades get 429' },
      {
        settings: ['RATE_LIMIT_PER_SEC', 'RATE_LIMIT_BURST'],
        text: 'token bucket per connection; past it each request gets `RATE_LIMITED` with `retryAfterMs`',
      },
      {
        settings: ['RATE_LIMIT_MAX_STRIKES'],
        text: 'refused requests held against a connection (each adds one; they decay at `RATE_LIMIT_PER_SEC`) before it is closed with 1008',
      },
      {
        settings: ['REST_RATE_LIMIT_PER_SEC', 'REST_RATE_LIMIT_BURST'],
        text: 'token bucket per subject on the REST API (`/api`), per client address when unauthenticated (`AUTH_MODE=none`, or a request refused with 401); past it `429 RATE_LIMITED` with `details.retryAfterMs` and `Retry-After`',
      },
      { settings: ['MAX_SUBSCRIPTIONS'], text: 'projects one connection may subscribe to (`FORBIDDEN` past it)' },
      {
        settings: ['MAX_BUFFERED_BYTES'],
        text: 'bytes owed to one connection (send buffer, replies waiting, events not sent yet); a reader owed more that takes nothing for `SLOW_CONSUMER_MS` is closed with 1013 (at once past 8x this in memory). Events past it wait in the event log, not in memory',
      },
      {
        settings: ['SLOW_CONSUMER_MS'],
        text: 'how long a connection owed more than `MAX_BUFFERED_BYTES` may take nothing before it is closed with 1013 (a reader that keeps reading is paced, not closed)',
      },
      {
        settings: ['MAX_DATA_BYTES', 'MAX_DATA_DEPTH'],
        text: 'workspace `data` size and nesting (at most these protocol maxima), on WebSocket and REST writes alike; any JSON object within the limits is stored as sent and comes back equal, on every backend ([ADR 0004](docs/decisions/0004-client-values-stored-as-json-text.md))',
      },
      {
        settings: ['PROJECT_MAX_WORKSPACES', 'PROJECT_MAX_BYTES'],
        text: 'caps of one project: live workspaces, and bytes (each workspace counts its `data` as JSON text, its name and 200); a create or a growing update past them is refused with `PROJECT_LIMIT` (HTTP 409)',
      },
      {
        settings: ['STATE_CACHE_MAX_PROJECTS', 'STATE_CACHE_MAX_BYTES'],
        text: 'projects whose state a node keeps in memory, by count and by bytes (counted as `PROJECT_MAX_BYTES`); the least recently used clean one is dropped first',
      },
      { settings: ['HANDSHAKE_TIMEOUT_MS'], text: 'time to send the upgrade request (slowloris guard)' },
      {
        settings: ['IDLE_TIMEOUT_MS'],
        text: 'a connection with no subscription that sends nothing this long is closed (1000); `0` turns it off',
      },
      {
        settings: ['WS_COMPRESSION'],
        text: '`on`: permessage-deflate with clients that offer it (browsers, `@app/client` in Node); costs CPU per frame and memory per connection, see [`docs/operations.md`](docs/operations.md#compression)',
      },
      { settings: ['WS_COMPRESSION_THRESHOLD_BYTES'], text: 'frames below it go out uncompressed' },
      {
        settings: ['WS_COMPRESSION_WINDOW_BITS', 'WS_COMPRESSION_MEM_LEVEL'],
        text: "the server's deflate window (9-15) and zlib memLevel (1-9): about 2^(bits+2) + 2^(memLevel+9) bytes per compressing connection (32 KiB by default)",
      },
      { settings: ['WS_COMPRESSION_LEVEL'], text: 'zlib level, 1 (fastest) to 9 (smallest)' },
      {
        settings: ['WS_COMPRESSION_CONCURRENCY'],
        text: 'zlib jobs in flight at once per process; more fragments memory (ws#1202)',
      },
    ],
    'readme-video': [
      {
        settings: ['RUNWAYML_API_SECRET'],
        text: 'Runway API key (never logged)',
      },
      {
        settings: ['RUNWAYML_BASE_URL'],
        text: 'Runway API base URL (`pnpm start` points it at the simulator without a key)',
      },
      {
        settings: ['VIDEO_POLL_MS'],
        text: 'shortest time between two polls of one job',
      },
      {
        settings: ['VIDEO_STATUS_INTERVAL_MS'],
        text: 'at most one progress-only `video.status_update` per job this often (status changes and the final one always go)',
      },
      {
        settings: ['VIDEO_LEASE_MS'],
        text: "a node's claim on a job; another node takes a dead node's jobs over after it",
      },
      {
        settings: ['VIDEO_JOB_TIMEOUT_MS'],
        text: 'a job not done this long after creation fails with `TIMEOUT`',
      },
      {
        settings: ['VIDEO_PROVIDER_TIMEOUT_MS'],
        text: 'longest provider call; a create that times out fails its job (never resubmitted: it may have started a paid task)',
      },
      {
        settings: ['VIDEO_DOWNLOAD_TIMEOUT_MS'],
        text: 'longest download of a finished video',
      },
      {
        settings: ['VIDEO_STORAGE_DIR'],
        text: 'finished videos, served at `GET /videos/<jobId>.mp4` (Range requests)',
      },
      {
        settings: ['VIDEO_RETENTION_DAYS'],
        text: 'days a finished video and its job are kept before a sweep removes them',
      },
      {
        settings: ['VIDEO_MAX_IN_FLIGHT'],
        text: 'video jobs at the provider at once, whole deployment; more wait `queued`',
      },
      {
        settings: ['VIDEO_MAX_BYTES'],
        text: 'largest finished video downloaded (bytes)',
      },
      {
        settings: ['VIDEO_PIPELINE'],
        text: '`off`: this server only queues video jobs; video workers (`pnpm --filter @app/video worker`) run them',
      },
    ],
  },
  'docs/operations.md': {
    'operations-processes': [
      {
        settings: ['NODE_ENV'],
        text: '`development`, `production`, `test`. `production` switches logs to JSON and forbids `AUTH_MODE=none`.',
      },
      { settings: ['HOST'], text: 'interface to listen on; `0.0.0.0` (or `::`) behind a load balancer' },
      { settings: ['PORT'], text: 'HTTP API port (`0`: any free port)' },
      { settings: ['WS_PORT'], text: 'WebSocket port (`0`: any free port)' },
      {
        settings: ['SHUTDOWN_TIMEOUT_MS'],
        text: 'on SIGTERM/SIGINT: how long in-flight requests (WebSocket and REST) may finish before clients are closed (1001) and remaining HTTP connections are cut',
      },
      { settings: ['LOG_LEVEL'], text: '`error`, `warn`, `info`, `debug`' },
      { settings: ['LOG_FORMAT'], text: '`pretty` is `[YYYY-MM-DD HH:mm:ss] info: message`' },
      { settings: ['DATA_DIR'], text: 'where the embedded database (only without `MONGODB_URI`) keeps its files' },
    ],
    'operations-storage': [
      {
        settings: ['MONGODB_URI'],
        text: 'MongoDB connection string (`mongodb://` or `mongodb+srv://`). Production: a replica set or Atlas; event writes use `w: "majority", j: true`.',
      },
      { settings: ['MONGODB_DB'], text: 'database name; every node of one deployment uses the same' },
      {
        settings: ['DB_TIMEOUT_MS'],
        text: 'how long a database operation may wait before the request fails with `UNAVAILABLE`',
      },
      {
        settings: ['DB_CONNECT_ATTEMPTS'],
        text: 'how many times a starting process tries to reach the database (each try waits up to `DB_TIMEOUT_MS`, a second between tries) before it gives up: one line on stderr, exit 1. Raise it when the database may start after the nodes (one container group)',
      },
      {
        settings: ['PROJECTION_DELAY_MS'],
        text: "how long after a commit the node writes the read model (the `workspaces` documents and each project's head in `projects`); every commit in between is written together, one update per changed workspace. Acks and events never wait for it: they follow the event log, and every node folds the events past a project's head when it loads the project. Lower it if other tools read the `workspaces` collection directly and need it fresher (its `data` field, like an event's `data`, holds the JSON text of the client's value: [ADR 0004](decisions/0004-client-values-stored-as-json-text.md)); raise it to spend fewer database writes on busy projects. `0`: write right after each commit.",
      },
    ],
    'operations-bus': [
      {
        settings: ['REDIS_URL'],
        text: '`redis://[user:password@]host:port[/db]` or `rediss://` (TLS). Set: events travel between nodes over Redis pub/sub. Unset: in-process bus, single node only. Must be set on every node, API nodes included (their REST writes must reach WebSocket clients).',
      },
      {
        settings: ['REDIS_PREFIX'],
        text: 'channel prefix: channels are `<prefix>:events:<projectId>`. Give each deployment (or test) sharing one Redis its own prefix. 1-64 characters of `A-Z a-z 0-9 _ . : -`.',
      },
      {
        settings: ['BUS_RESYNC_MS'],
        text: 'how often each node checks each subscribed project against the event log (with Redis). It bounds how late an event can be when its publish was lost without any reconnect; `0` turns the periodic check off (gap and reconnect repairs still run).',
      },
    ],
    'operations-limits': [
      {
        settings: ['HEARTBEAT_MS'],
        text: 'server ping interval; a peer that misses one ping is dropped at the next tick',
      },
      {
        settings: ['MAX_MESSAGE_BYTES'],
        text: 'largest frame read (close 1009 above it) and sent (longer lists and snapshots go out in `page` frames); also the HTTP body limit',
      },
      { settings: ['MAX_DATA_BYTES'], text: 'largest workspace `data` (JSON)' },
      { settings: ['MAX_DATA_DEPTH'], text: 'deepest nesting of workspace `data`' },
      {
        settings: ['PROJECT_MAX_WORKSPACES'],
        text: 'live workspaces one project may hold; a create past it: `PROJECT_LIMIT` (409 on REST)',
      },
      {
        settings: ['PROJECT_MAX_BYTES'],
        text: 'bytes one project may hold (each workspace: its `data` as JSON text, its name, 200); a create or update that grows the project past it: `PROJECT_LIMIT`. An update that shrinks is always taken',
      },
      {
        settings: ['STATE_CACHE_MAX_PROJECTS', 'STATE_CACHE_MAX_BYTES'],
        text: 'project states a node keeps in memory, by count and by bytes; see [the arithmetic](#memory-per-node)',
      },
      {
        settings: ['MAX_BUFFERED_BYTES'],
        text: 'bytes owed to one connection past which, if it takes nothing for `SLOW_CONSUMER_MS`, it is closed as a slow consumer (1013); also its in-memory budget of held events (8x it in memory closes at once)',
      },
      {
        settings: ['SLOW_CONSUMER_MS'],
        text: 'how long a connection owed more than `MAX_BUFFERED_BYTES` may take nothing before it is closed as a slow consumer (1013)',
      },
      { settings: ['MAX_SUBSCRIPTIONS'], text: 'projects one connection may subscribe to' },
      { settings: ['MAX_CONNECTIONS'], text: 'connections per node' },
      {
        settings: ['MAX_BYTES_PER_IP'],
        text: 'the most memory one client address may make a node hold in the worst case (every connection reading a full frame and owed a full buffer): the process refuses to start when `MAX_CONNECTIONS_PER_IP` x (`MAX_MESSAGE_BYTES` + `MAX_BUFFERED_BYTES`) exceeds it (defaults: 200 x 9 MiB = 1.8 GiB of 2 GiB; with `MAX_MESSAGE_BYTES` at its 64 MiB maximum, at most 28 connections per address fit)',
      },
      {
        settings: ['CLIENT_IPV6_PREFIX_BITS'],
        text: 'the prefix an IPv6 client is counted by in every per-address limit (`MAX_CONNECTIONS_PER_IP`, `HTTP_MAX_CONNECTIONS_PER_IP`, the unauthenticated REST bucket): a subscriber usually holds a whole /64, so counting single addresses would let one client take 2^64 slots',
      },
      {
        settings: ['HTTP_HEADERS_TIMEOUT_MS', 'HTTP_REQUEST_TIMEOUT_MS'],
        text: "HTTP API: longest wait for a request's headers and for the whole request (body included), checked every second; past it 408 and the connection is closed (Node's defaults are 60 s / 5 min)",
      },
      {
        settings: ['HTTP_MAX_CONNECTIONS_PER_IP'],
        text: 'open HTTP API connections per client address (its TCP peer; `TRUSTED_PROXIES` are not counted, so behind a proxy the proxy enforces it); past it a new connection is closed before it is read',
      },
      {
        settings: ['MAX_CONNECTIONS_PER_IP'],
        text: 'connections per client address per node (a slot is held from the upgrade request until its socket closes, however the upgrade ends; `ws_connection_slots` / `ws_connection_slot_addresses` in `/metrics`)',
      },
      {
        settings: ['RATE_LIMIT_PER_SEC', 'RATE_LIMIT_BURST'],
        text: 'requests per connection (token bucket); over it: `RATE_LIMITED`',
      },
      {
        settings: ['RATE_LIMIT_MAX_STRIKES'],
        text: 'refusals held against a connection before it is closed (1008): each refused request adds one, and they decay at `RATE_LIMIT_PER_SEC` per second (an accepted request does not reset them); a refused frame is answered without being parsed',
      },
      {
        settings: ['REST_RATE_LIMIT_PER_SEC', 'REST_RATE_LIMIT_BURST'],
        text: 'REST requests under `/api` per subject (token bucket), per client address ([section 2](#2-n-nodes-behind-a-load-balancer), `TRUSTED_PROXIES`) when unauthenticated: with `AUTH_MODE=none`, and for requests refused with 401; over it: `429 RATE_LIMITED` with `details.retryAfterMs` and a `Retry-After` header (seconds). Per node: with N API nodes a subject can make N times as many. `/health`, `/ready` and `/metrics` are not limited (`http_rate_limited_total` counts refusals)',
      },
      { settings: ['HANDSHAKE_TIMEOUT_MS'], text: 'time allowed to complete the upgrade and authentication' },
      {
        settings: ['IDLE_TIMEOUT_MS'],
        text: 'a connection without subscriptions that sends nothing this long is closed (0: never)',
      },
    ],
    'operations-compression': [
      {
        settings: ['WS_COMPRESSION'],
        text: '`on`: the WebSocket port accepts permessage-deflate from clients that offer it (every browser; `@app/client` in Node through `ws`, which offers it by default). Off, the extension is not negotiated and frames go out as they are.',
      },
      {
        settings: ['WS_COMPRESSION_THRESHOLD_BYTES'],
        text: 'frames smaller than this are sent uncompressed (each message is compressed on its own, `server_no_context_takeover`, which is also what makes ws apply the threshold)',
      },
      {
        settings: ['WS_COMPRESSION_WINDOW_BITS'],
        text: "the server's deflate window, 9-15 (`server_max_window_bits`, also what the client inflates with). A client that asks for a smaller `server_max_window_bits` itself is refused with 400 by ws: lower this only if none of your clients do",
      },
      { settings: ['WS_COMPRESSION_MEM_LEVEL'], text: "zlib memLevel of the server's deflate, 1-9" },
      { settings: ['WS_COMPRESSION_LEVEL'], text: 'zlib level, 1 (fastest) to 9 (smallest)' },
      {
        settings: ['WS_COMPRESSION_CONCURRENCY'],
        text: 'zlib jobs in flight at once in the process (ws has one limiter per process, set by the first server)',
      },
    ],
    'operations-auth': [
      {
        settings: ['AUTH_MODE'],
        text: '`jwt`: every connection and request needs a valid token; `none`: development only, everyone is one anonymous subject (refused with `NODE_ENV=production`)',
      },
      { settings: ['AUTH_JWT_SECRET'], text: 'HMAC key (at least 32 characters)' },
      {
        settings: ['AUTH_JWT_PUBLIC_KEY_FILE', 'AUTH_JWKS_FILE'],
        text: 'public key / JWKS file for asymmetric tokens',
      },
      { settings: ['AUTH_JWT_ISSUER', 'AUTH_JWT_AUDIENCE'], text: 'required `iss` / `aud` claims' },
      { settings: ['AUTH_CLOCK_TOLERANCE_SEC'], text: 'allowed clock skew for `exp` / `nbf`' },
      {
        settings: ['AUTH_REQUIRE_EXP'],
        text: '`on`: tokens must carry `exp`, so every connection ends when its token expires; `off` for issuers that mint tokens without one',
      },
      {
        settings: ['METRICS_TOKEN'],
        text: 'bearer token (at least 16 characters) `/metrics` requires on both ports; unset: `/metrics` is open, so keep the ports off the public network',
      },
      {
        settings: ['ALLOWED_ORIGINS'],
        text: 'comma-separated exact origins allowed to open WebSockets from a browser',
      },
      {
        settings: ['ALLOWED_HOSTS'],
        text: 'comma-separated host names (a port is ignored) a request must name in `Host`, on both ports, else 403 (DNS rebinding: a page whose name was made to resolve to this machine). Unset: with `AUTH_MODE=none` the loopback names and `HOST`; with authentication any (`/health` and `/ready` answer under any name)',
      },
      {
        settings: ['URL_SIGNING_SECRET'],
        text: 'HMAC key (at least 32 characters) of signed video links and single-use WebSocket tickets. Unset: a random key drawn once per database and kept in its `meta` collection, so every node sharing the database signs and checks alike; set it to rotate (links and tickets signed before stop working)',
      },
      {
        settings: ['WS_TICKET_TTL_MS'],
        text: 'how long a ticket from `POST /api/ws-ticket` may wait for its upgrade (`?ticket=`); each opens one connection, on any node',
      },
      {
        settings: ['VIDEO_URL_TTL_MS'],
        text: 'how long a signed link from `GET /api/videos/:jobId/url` plays without a token',
      },
      {
        settings: ['ALLOW_UNAUTHENTICATED_WITH_PROVIDER_KEYS'],
        text: 'a server without authentication refuses to start while `RUNWAYML_API_SECRET` or `OPENAI_API_KEY` is set for a provider not on this machine (anyone who reaches it could spend credit); `true` accepts that',
      },
      {
        settings: ['TRUSTED_PROXIES'],
        text: 'comma-separated proxy addresses and CIDR ranges, IPv4 or IPv6 (`127.0.0.1, 10.0.0.0/8, fd00::/8`; an IPv4 entry also matches its IPv4-mapped form `::ffff:…` and the reverse; `loopback`, `linklocal`, `uniquelocal` name those ranges) whose `X-Forwarded-For` is believed: the client address is the rightmost entry that is not a trusted proxy ([section 2](#2-n-nodes-behind-a-load-balancer)). Used by the per-IP connection cap and the REST rate limit. A malformed entry stops the process naming its position',
      },
    ],
    'operations-prompt': [
      {
        settings: ['OPENAI_API_KEY'],
        text: 'key of the OpenAI API. Never logged (log lines are also scrubbed of `sk-…` keys). Unset with `OPENAI_BASE_URL` set: a placeholder key is sent (the simulator takes any); unset with neither: `prompt.enhance` answers `UNAVAILABLE` saying so',
      },
      {
        settings: ['OPENAI_BASE_URL'],
        text: 'an OpenAI-compatible endpoint ending in `/v1` instead of `https://api.openai.com/v1`; `pnpm start` points it at the simulated provider when no key is set',
      },
      {
        settings: ['OPENAI_MODEL'],
        text: 'the model asked; it must support structured outputs (`response_format: json_schema`)',
      },
      {
        settings: ['PROMPT_TIMEOUT_MS'],
        text: "one model call's whole budget (the SDK's own default is 10 minutes); past it `UNAVAILABLE` with `retryAfterMs`. The SDK does not retry (a retry would multiply the wait): callers get the error at once and retry themselves",
      },
      {
        settings: ['PROMPT_RATE_LIMIT_PER_MIN'],
        text: '`prompt.enhance` requests per minute per subject and node (each is a paid model call), WebSocket and REST together in one process; past it `RATE_LIMITED` with `retryAfterMs`',
      },
      {
        settings: ['PROMPT_RATE_LIMIT_BURST'],
        text: 'requests a subject may make at once before the per-minute rate applies',
      },
      {
        settings: ['PROMPT_DAILY_LIMIT_PER_SUBJECT'],
        text: '`prompt.enhance` calls per subject per UTC day, counted across every node (Redis with `REDIS_URL`, else the database: see docs/security.md); past it `RATE_LIMITED` with `details.retryAfterMs` (until midnight UTC) and `details.budget`. 0 turns it off',
      },
      {
        settings: ['PROMPT_DEPLOYMENT_LIMIT_PER_MIN'],
        text: '`prompt.enhance` calls per minute of the whole deployment, every subject and node together: a ceiling on what the language model can cost per minute. 0 turns it off',
      },
      {
        settings: ['PROMPT_MAX_TOKENS'],
        text: '`max_tokens` of each model call (an answer cut off there is `PROVIDER_ERROR`)',
      },
      {
        settings: ['VIDEO_DAILY_LIMIT_PER_SUBJECT'],
        text: 'video jobs a subject may start per UTC day, counted across every node when the request reaches the door of `video.generate` (a retry of the same request id costs nothing); past it `RATE_LIMITED` with `details.budget`. 0 turns it off',
      },
    ],
    'operations-video': [
      {
        settings: ['RUNWAYML_API_SECRET'],
        text: 'Runway API key (never logged). Unset, `pnpm start` starts the simulated provider (`apps/provider-sim`) and points the server at it',
      },
      {
        settings: ['RUNWAYML_BASE_URL'],
        text: 'base URL of the Runway API; `pnpm start` sets it to the simulator when no key is set',
      },
      {
        settings: ['VIDEO_POLL_MS'],
        text: 'shortest time between two polls of one job (Runway asks for at least 5 s); polls add up to 25 % jitter, THROTTLED tasks and failed polls back off exponentially (up to 60 s), a 429 waits at least its `Retry-After`',
      },
      {
        settings: ['VIDEO_STATUS_INTERVAL_MS'],
        text: 'at most one progress-only `video.status_update` per job this often; every change of status and the final one go at once',
      },
      {
        settings: ['VIDEO_LEASE_MS'],
        text: "how long a node's claim on a job lasts without renewal (renewed every quarter of it); the written expiry adds a safety margin of `VIDEO_PROVIDER_TIMEOUT_MS` and a quarter lease, so after a node dies another takes its jobs over after lease + margin ([ADR 0008](decisions/0008-video-jobs-and-leases.md), [ADR 0012](decisions/0012-video-job-fencing.md))",
      },
      {
        settings: ['VIDEO_JOB_TIMEOUT_MS'],
        text: 'a job not finished this long after it was created fails with `TIMEOUT`, and its provider task is cancelled',
      },
      {
        settings: ['VIDEO_PROVIDER_TIMEOUT_MS'],
        text: 'longest wait for one provider call; a poll that times out is retried, a create that times out fails its job (`PROVIDER_TIMEOUT`: it may have started a task, so it is never resubmitted)',
      },
      {
        settings: ['VIDEO_DOWNLOAD_TIMEOUT_MS'],
        text: 'longest download of a finished video into storage',
      },
      {
        settings: ['VIDEO_STORAGE_DIR'],
        text: 'where finished videos are stored (`<jobId>.mp4`), served at `GET /videos/<jobId>.mp4` with Range requests, behind the same authentication and rate limit as `/api`; with several API nodes, a directory they all share',
      },
      {
        settings: ['VIDEO_RETENTION_DAYS'],
        text: "days a finished video job is kept: its file and its document (the request, an image data URI included); then every node's hourly sweep removes both, and the job leaves the workspace's list (`video.list`)",
      },
      {
        settings: ['VIDEO_MAX_IN_FLIGHT'],
        text: 'video jobs at the provider at once over the whole deployment (counted in the database: one slot document per job, inserted before its create); jobs beyond it wait `queued`, not refused, and start as slots free',
      },
      {
        settings: ['VIDEO_MAX_BYTES'],
        text: 'largest finished video downloaded into storage; a download is also refused when it is empty or not `video/*`, and is flushed to disk before it is renamed into place',
      },
      {
        settings: ['VIDEO_PIPELINE'],
        text: '`on`: the server runs video jobs (creates the provider tasks and polls those whose lease it holds). `off`: it only writes them as `pending` and reports `queued`; run video workers (`pnpm --filter @app/video worker`, same settings) on one or more nodes, which take pending jobs and every job whose lease expired',
      },
    ],
  },
};
