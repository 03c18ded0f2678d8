import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig, type Core } from '@app/core';
import { createTestCore, silentLogger } from '@app/core/testing';
import { apiOptionsFromConfig } from '../src/index.js';
import { startApi, type StartedApi } from './helpers/start-api.js';

let core: Core;
let api: StartedApi;

beforeAll(async () => {
  core = await createTestCore(inject('mongodbUri'));
  // What `pnpm start` runs without an authentication setting.
  api = await startApi(apiOptionsFromConfig(loadConfig({ AUTH_MODE: 'none' }), { core, logger: silentLogger() }));
});
afterAll(async () => {
  await api?.close();
  await core?.close();
});

/** A request with the given Host header (fetch does not let a caller set it). */
function withHost(path: string, host: string | undefined): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = host === undefined ? {} : { host };
    const request = httpRequest(
      { host: '127.0.0.1', port: api.port, path, headers, setHost: host !== undefined },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    request.on('error', reject);
    request.end();
  });
}

describe('the REST API without authentication (DNS rebinding)', () => {
  it('refuses a request naming a foreign Host with 403 FORBIDDEN, before reading anything', async () => {
    const refused = await withHost('/api/projects/p1/workspaces', `evil.example:${api.port}`);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toEqual({ code: 'FORBIDDEN', message: 'Host not allowed' });
    expect((await withHost('/videos/x.mp4', 'evil.example')).status).toBe(403);
  });

  it('answers the loopback names, and health probes under any name', async () => {
    expect((await withHost('/api/projects/p1/workspaces', `localhost:${api.port}`)).status).toBe(200);
    expect((await withHost('/api/projects/p1/workspaces', `127.0.0.1:${api.port}`)).status).toBe(200);
    expect((await withHost('/health', 'evil.example')).status).toBe(200);
  });
});
