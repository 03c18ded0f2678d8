import { request as httpRequest } from 'node:http';
import { allowedHostsFromConfig, allowedOriginsFromConfig, loadConfig } from '@app/core';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { parseOrigins } from '../../src/upgrade.js';
import { unauthenticatedWarning } from '../../src/options-from-config.js';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { upgradeStatus } from '../helpers/upgrade-status.js';

// What `pnpm start` runs without an authentication setting: AUTH_MODE=none, the page on PORT.
const config = loadConfig({ AUTH_MODE: 'none', PORT: '3000', WS_PORT: '0' });
let server: TestServer;

beforeAll(async () => {
  server = await startServer(inject('mongodbUri'), {
    allowedHosts: allowedHostsFromConfig(config),
    allowedOrigins: parseOrigins(allowedOriginsFromConfig(config)),
  });
});
afterAll(async () => {
  await server.close();
});

/** A plain GET to the WebSocket port with the given Host header: its status. */
function plainGet(url: string, host: string): Promise<number> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path: '/metrics', headers: { host } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.end();
  });
}

describe('without authentication, the WebSocket server lets in only its own page and its own names', () => {
  it('refuses an upgrade from a foreign page with 403, and accepts the page served on PORT and non-browser clients', async () => {
    expect(await upgradeStatus(server.url, { headers: { origin: 'https://evil.example' } })).toBe(403);
    expect(await upgradeStatus(server.url, { headers: { origin: 'http://127.0.0.1:8080' } })).toBe(403);
    expect(await upgradeStatus(server.url, { headers: { origin: 'null' } })).toBe(403);
    expect(await upgradeStatus(server.url, { headers: { origin: 'http://127.0.0.1:3000' } })).toBe(101);
    expect(await upgradeStatus(server.url, { headers: { origin: 'http://localhost:3000' } })).toBe(101);
    expect(await upgradeStatus(server.url)).toBe(101); // no Origin: not a browser
    await vi.waitFor(() => expect(server.server.connections.size).toBe(0));
  });

  it('refuses a foreign Host (DNS rebinding) on upgrades and plain requests, and takes the loopback names', async () => {
    const port = new URL(server.url).port;
    expect(await upgradeStatus(server.url, { headers: { host: `evil.example:${port}` } })).toBe(403);
    expect(
      await upgradeStatus(server.url, { headers: { host: `evil.example:${port}`, origin: 'http://127.0.0.1:3000' } }),
    ).toBe(403);
    expect(await upgradeStatus(server.url, { headers: { host: `localhost:${port}` } })).toBe(101);
    expect(await upgradeStatus(server.url, { headers: { host: `[::1]:${port}` } })).toBe(101);
    expect(await plainGet(server.url, `evil.example:${port}`)).toBe(403);
    expect(await plainGet(server.url, `127.0.0.1:${port}`)).toBe(426);
  });

  it('warns at start what is exposed, and to whom', () => {
    const warning = unauthenticatedWarning(config, allowedHostsFromConfig(config), allowedOriginsFromConfig(config));
    expect(warning).toMatch(/read, change and delete every project/);
    expect(warning).toContain('http://127.0.0.1:3000');
    expect(warning).not.toMatch(/provider credit/);
    const paid = loadConfig({
      AUTH_MODE: 'none',
      OPENAI_API_KEY: 'sk-real',
      ALLOW_UNAUTHENTICATED_WITH_PROVIDER_KEYS: 'true',
    });
    expect(unauthenticatedWarning(paid, undefined, undefined)).toMatch(/spend provider credit \(OPENAI_API_KEY set\)/);
    expect(unauthenticatedWarning(paid, undefined, undefined)).not.toContain('sk-real');
  });
});
