/**
 * What a server without authentication lets in from a browser: requests whose `Host` names this machine
 * (DNS rebinding: a page on `evil.example` whose name now resolves to 127.0.0.1 sends `Host: evil.example`),
 * and WebSocket upgrades whose `Origin` is the page this server serves. With authentication these are off by
 * default (a browser sends no token of ours on its own), and ALLOWED_HOSTS / ALLOWED_ORIGINS set them in any mode.
 */

/** The loopback names a server without authentication answers to by default. */
export const LOOPBACK_HOSTS: readonly string[] = ['127.0.0.1', 'localhost', '[::1]'];

/** The host name of a `Host` header value (`name`, `name:port`, `[v6]:port`), lower-cased; undefined when it is not one. */
export function hostName(host: string | undefined): string | undefined {
  if (host === undefined || host === '' || /[\s/?#@\\]/.test(host)) return undefined;
  try {
    return new URL(`http://${host}`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/** Host names from a comma-separated list (entries may carry a port, which is ignored); undefined when unset. */
export function parseHosts(list: string | undefined): ReadonlySet<string> | undefined {
  if (list === undefined) return undefined;
  const names = list
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => hostName(entry) ?? entry.toLowerCase());
  return new Set(names);
}

/** True when the `Host` header names one of `allowed` (any port); every host is allowed when `allowed` is undefined. */
export function hostAllowed(host: string | undefined, allowed: ReadonlySet<string> | undefined): boolean {
  if (allowed === undefined) return true;
  const name = hostName(host);
  return name !== undefined && allowed.has(name);
}

interface LocalOnlySettings {
  AUTH_MODE: 'jwt' | 'none';
  HOST: string;
  PORT: number;
  ALLOWED_HOSTS?: string | undefined;
  ALLOWED_ORIGINS?: string | undefined;
}

/** The listening address as a host name, when it is a specific one (not 0.0.0.0 / ::). */
function listenName(host: string): string | undefined {
  if (host === '0.0.0.0' || host === '::' || host === '[::]') return undefined;
  return hostName(host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);
}

/**
 * The `Host` names requests must carry: ALLOWED_HOSTS when set; without authentication, the loopback names
 * and the listening address; with authentication, any (undefined).
 */
export function allowedHostsFromConfig(config: LocalOnlySettings): ReadonlySet<string> | undefined {
  const configured = parseHosts(config.ALLOWED_HOSTS);
  if (configured !== undefined || config.AUTH_MODE !== 'none') return configured;
  const own = listenName(config.HOST);
  return new Set(own === undefined ? LOOPBACK_HOSTS : [...LOOPBACK_HOSTS, own]);
}

/**
 * The browser origins allowed to open a WebSocket, as a comma-separated list for `parseOrigins`:
 * ALLOWED_ORIGINS when set; without authentication, the page this server serves (`http://<name>:PORT` for
 * each allowed host name); with authentication, unset (any origin).
 */
export function allowedOriginsFromConfig(config: LocalOnlySettings): string | undefined {
  if (config.ALLOWED_ORIGINS !== undefined || config.AUTH_MODE !== 'none') return config.ALLOWED_ORIGINS;
  const hosts = allowedHostsFromConfig(config) ?? new Set(LOOPBACK_HOSTS);
  return [...hosts].map((name) => `http://${name}:${config.PORT}`).join(',');
}

interface ProviderSettings {
  RUNWAYML_API_SECRET?: string | undefined;
  RUNWAYML_BASE_URL?: string | undefined;
  OPENAI_API_KEY?: string | undefined;
  OPENAI_BASE_URL?: string | undefined;
}

function isLoopbackUrl(url: string | undefined): boolean {
  if (url === undefined) return false;
  try {
    return LOOPBACK_HOSTS.includes(new URL(url).hostname.toLowerCase());
  } catch {
    return false;
  }
}

/**
 * The provider keys that can spend money: a key set whose API is not on this machine (unset base URL: the
 * provider's own API). A key sent to a loopback URL (the simulator `pnpm start` runs without keys) spends nothing.
 */
export function paidProviderKeys(config: ProviderSettings): string[] {
  const keys: string[] = [];
  if (config.RUNWAYML_API_SECRET !== undefined && !isLoopbackUrl(config.RUNWAYML_BASE_URL))
    keys.push('RUNWAYML_API_SECRET');
  if (config.OPENAI_API_KEY !== undefined && !isLoopbackUrl(config.OPENAI_BASE_URL)) keys.push('OPENAI_API_KEY');
  return keys;
}
