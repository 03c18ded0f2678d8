import { resolveChangeRetry, type ChangeRetryOptions, type ResolvedChangeRetry } from './change-retry.js';

/**
 * The smallest WebSocket surface the client uses: the standard browser API. Both the global
 * `WebSocket` of browsers and the `ws` package's class satisfy it.
 */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** `WebSocket` in browsers, `import WebSocket from 'ws'` in Node. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** A token, or a function giving a fresh one before every connection attempt (e.g. a short-lived ticket). */
export type TokenProvider = string | (() => string | undefined | Promise<string | undefined>);

/** How the client notices a dead connection. */
export type KeepAliveMode =
  /** `server-ping` when the socket exposes `.on('ping')` (the `ws` package), else `client-ping`. */
  | 'auto'
  /** Expect the server's WebSocket pings; reconnect after 2 x `heartbeatMs` (from `hello`) of silence. */
  | 'server-ping'
  /** Send a `ping` request after `intervalMs` of silence; reconnect if nothing arrives within `pongTimeoutMs`. */
  | 'client-ping'
  | 'off';

export interface ClientOptions {
  /**
   * `ws://host:3001/`, or several servers of one deployment: each connection attempt takes the next
   * one in turn, so a client fails over to another node when its node goes away.
   */
  url: string | readonly string[];
  /**
   * Sent as the `access_token` query parameter (the old form: proxies may log URLs; prefer `ticket`).
   * A function is asked again after a 4001 (token expired): see MAX_TOKEN_REFRESHES.
   */
  token?: TokenProvider | undefined;
  /**
   * A function giving a fresh single-use ticket before every connection attempt, sent as the `ticket` query
   * parameter instead of a token (`wsTicket()` gets one from `POST /api/ws-ticket`); not with `token`.
   */
  ticket?: (() => string | Promise<string>) | undefined;
  /** WebSocket class; defaults to `globalThis.WebSocket`. In Node pass the `ws` package's default export. */
  WebSocket?: WebSocketConstructor | undefined;
  /** Default wait for a reply once a request is on the wire. Default 10 000. */
  requestTimeoutMs?: number | undefined;
  /** Longest wait for the socket to open and `hello` to arrive. Default 10 000. */
  connectTimeoutMs?: number | undefined;
  /** How long `close()` waits for the closing handshake before dropping the socket. Default 2 000. */
  closeTimeoutMs?: number | undefined;
  reconnect?: ReconnectOptions | undefined;
  queue?: QueueOptions | undefined;
  keepAlive?: KeepAliveOptions | undefined;
  /** How project stores (`client.project(id)`) retry a change whose outcome is unknown. */
  changeRetry?: ChangeRetryOptions | undefined;
}

/** Delay before attempt n (0-based): `minDelayMs + random() * (min(maxDelayMs, baseDelayMs * 2^n) - minDelayMs)`. */
export interface ReconnectOptions {
  /** Default 0 (pure full jitter). */
  minDelayMs?: number | undefined;
  /** Default 500. */
  baseDelayMs?: number | undefined;
  /** Default 30 000. */
  maxDelayMs?: number | undefined;
  /** A connection that stayed up this long resets the attempt count. Default 10 000. */
  stableAfterMs?: number | undefined;
}

/** Bounds of the queue of requests made while disconnected. */
export interface QueueOptions {
  /** Default 1 000. */
  maxSize?: number | undefined;
  /** Default 60 000. */
  maxAgeMs?: number | undefined;
}

export interface KeepAliveOptions {
  /** Default `auto`. */
  mode?: KeepAliveMode | undefined;
  /** Silence before a `client-ping`. Default: `heartbeatMs` from `hello`. */
  intervalMs?: number | undefined;
  /** Wait for any frame after a `client-ping`. Default 10 000. */
  pongTimeoutMs?: number | undefined;
}

/** Per-request options of `request()` and the convenience methods. */
export interface RequestOptions {
  /** Wait for the reply once the request is on the wire. Default: the client's `requestTimeoutMs`. */
  timeoutMs?: number | undefined;
  /** Request id (idempotency key of mutations). Default: `crypto.randomUUID()`. */
  id?: string | undefined;
}

export interface ResolvedOptions {
  /** Every server URL, tried in turn. */
  urls: readonly string[];
  token: TokenProvider | undefined;
  /** The query parameter `token` travels in: `ticket` when the `ticket` option gave it. */
  tokenParam: 'access_token' | 'ticket';
  WebSocket: WebSocketConstructor;
  requestTimeoutMs: number;
  connectTimeoutMs: number;
  closeTimeoutMs: number;
  reconnect: Required<{ [K in keyof ReconnectOptions]: number }>;
  queue: Required<{ [K in keyof QueueOptions]: number }>;
  keepAlive: { mode: KeepAliveMode; intervalMs: number | undefined; pongTimeoutMs: number };
  changeRetry: ResolvedChangeRetry;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/**
 * Timeout of `enhancePrompt`: longer than the server's default PROMPT_TIMEOUT_MS (15 s), so a slow
 * language model is answered by the server's UNAVAILABLE (with `retryAfterMs`), not a client TIMEOUT.
 */
export const DEFAULT_ENHANCE_PROMPT_TIMEOUT_MS = 20_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_CLOSE_TIMEOUT_MS = 2_000;
export const DEFAULT_RECONNECT = {
  minDelayMs: 0,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  stableAfterMs: 10_000,
} as const;
export const DEFAULT_QUEUE = { maxSize: 1_000, maxAgeMs: 60_000 } as const;
export const DEFAULT_PONG_TIMEOUT_MS = 10_000;

function positive(name: string, value: number | undefined, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new TypeError(`createClient: ${name} must be a ${allowZero ? 'non-negative' : 'positive'} number`);
  }
  return value;
}

/** Fills in defaults and checks values; throws a `TypeError` naming the bad option. */
export function resolveOptions(options: ClientOptions): ResolvedOptions {
  const urls = typeof options.url === 'string' ? [options.url] : [...options.url];
  if (urls.length === 0) throw new TypeError('createClient: url must name at least one server');
  for (const url of urls) {
    try {
      new URL(url);
    } catch {
      throw new TypeError(`createClient: url is not a valid URL`);
    }
  }
  const WebSocketClass =
    options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor | undefined }).WebSocket;
  if (WebSocketClass === undefined) {
    throw new TypeError('createClient: no global WebSocket; in Node pass the `ws` class as the WebSocket option');
  }
  const r = options.reconnect ?? {};
  const q = options.queue ?? {};
  const k = options.keepAlive ?? {};
  const reconnect = {
    minDelayMs: positive('reconnect.minDelayMs', r.minDelayMs, DEFAULT_RECONNECT.minDelayMs, true),
    baseDelayMs: positive('reconnect.baseDelayMs', r.baseDelayMs, DEFAULT_RECONNECT.baseDelayMs),
    maxDelayMs: positive('reconnect.maxDelayMs', r.maxDelayMs, DEFAULT_RECONNECT.maxDelayMs),
    stableAfterMs: positive('reconnect.stableAfterMs', r.stableAfterMs, DEFAULT_RECONNECT.stableAfterMs, true),
  };
  if (reconnect.minDelayMs > reconnect.maxDelayMs) {
    throw new TypeError('createClient: reconnect.minDelayMs must not exceed reconnect.maxDelayMs');
  }
  if (options.token !== undefined && options.ticket !== undefined) {
    throw new TypeError('createClient: give either token or ticket, not both');
  }
  return {
    urls,
    token: options.ticket ?? options.token,
    tokenParam: options.ticket === undefined ? 'access_token' : 'ticket',
    WebSocket: WebSocketClass,
    requestTimeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS),
    connectTimeoutMs: positive('connectTimeoutMs', options.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS),
    closeTimeoutMs: positive('closeTimeoutMs', options.closeTimeoutMs, DEFAULT_CLOSE_TIMEOUT_MS, true),
    reconnect,
    queue: {
      maxSize: positive('queue.maxSize', q.maxSize, DEFAULT_QUEUE.maxSize, true),
      maxAgeMs: positive('queue.maxAgeMs', q.maxAgeMs, DEFAULT_QUEUE.maxAgeMs, true),
    },
    keepAlive: {
      mode: k.mode ?? 'auto',
      intervalMs: k.intervalMs === undefined ? undefined : positive('keepAlive.intervalMs', k.intervalMs, 0),
      pongTimeoutMs: positive('keepAlive.pongTimeoutMs', k.pongTimeoutMs, DEFAULT_PONG_TIMEOUT_MS),
    },
    changeRetry: resolveChangeRetry(options.changeRetry),
  };
}

/** The token of the next connection attempt: the string, or what the function gives now (may throw or reject). */
export function tokenFrom(token: TokenProvider | undefined): string | undefined | Promise<string | undefined> {
  return typeof token === 'function' ? token() : token;
}

/** The connection URL with the token (or ticket) in the `access_token` (or `ticket`) query parameter. */
export function urlWithToken(
  url: string,
  token: string | undefined,
  param: 'access_token' | 'ticket' = 'access_token',
): string {
  if (token === undefined || token === '') return url;
  const withToken = new URL(url);
  withToken.searchParams.set(param, token);
  return withToken.toString();
}

/**
 * A `ticket` function for `createClient`: each call asks `POST <url>` (the API's `/api/ws-ticket`) for a
 * single-use ticket, with the token in the `Authorization` header (never in a URL). Rejects when the API
 * refuses; the client then counts a failed attempt and retries later.
 */
export function wsTicket(options: {
  url: string;
  token?: TokenProvider | undefined;
  fetch?: typeof fetch | undefined;
}): () => Promise<string> {
  const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
  return async () => {
    const token = await tokenFrom(options.token);
    const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
    const response = await fetchFn(options.url, { method: 'POST', headers, credentials: 'same-origin' });
    if (!response.ok) throw new Error(`POST ${options.url} answered ${response.status}`);
    const body = (await response.json()) as { ticket?: unknown };
    if (typeof body.ticket !== 'string') throw new Error(`POST ${options.url} gave no ticket`);
    return body.ticket;
  };
}
