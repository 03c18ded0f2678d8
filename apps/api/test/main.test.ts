import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createTestCore, runTsMain, testDbName, type RunningProcess } from '@app/core/testing';

// main.ts is only run as a process (house style: tests never import it).
const API_DIR = fileURLToPath(new URL('..', import.meta.url));
const uri = inject('mongodbUri');
const dbNames: string[] = [];

afterAll(async () => {
  for (const dbName of dbNames) await (await createTestCore(uri, dbName)).close(); // drops it
});

function run(env: Record<string, string>): RunningProcess {
  const base = { ...process.env };
  delete base['MONGODB_URI'];
  return runTsMain(API_DIR, {
    ...base,
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_FORMAT: 'pretty',
    AUTH_MODE: 'none',
    ...env,
  });
}

async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('main.ts', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('listens, serves, and on %s closes and exits 0', async (signal) => {
    const dbName = testDbName('api_main');
    dbNames.push(dbName);
    const proc = run({ MONGODB_URI: uri, MONGODB_DB: dbName });
    try {
      const [, url] = await proc.waitFor(/HTTP API listening on (http:\/\/127\.0\.0\.1:\d+)/);
      expect(proc.stdout()).toMatch(/^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\] info: HTTP API listening on/m);
      expect((await fetch(`${url}/health`)).status).toBe(200);
      expect(await (await fetch(`${url}/ready`)).json()).toEqual({ status: 'ready' });
      const created = await fetch(`${url}/api/projects/p1/workspaces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'from main' }),
      });
      expect(created.status).toBe(201);
      proc.child.kill(signal);
      expect((await proc.exited).code).toBe(0);
      expect(proc.stdout()).toContain(`${signal} received: shutting down`);
      expect(proc.stdout()).toContain('HTTP API stopped');
      await expect(fetch(`${url}/health`)).rejects.toThrow();
    } finally {
      proc.child.kill('SIGKILL');
    }
  });

  it('exits 1 with a clear message when MONGODB_URI is not set', async () => {
    const proc = run({});
    expect((await proc.exited).code).toBe(1);
    expect(proc.stderr()).toContain('MONGODB_URI is not set');
    expect(proc.stdout()).not.toContain('listening');
  });

  it('exits 1 naming the variable when the config is invalid', async () => {
    const proc = run({ MONGODB_URI: uri, PORT: 'not-a-port', LOG_LEVEL: 'loud' });
    expect((await proc.exited).code).toBe(1);
    expect(proc.stderr()).toContain('Invalid configuration');
    expect(proc.stderr()).toMatch(/PORT: /);
    expect(proc.stderr()).toMatch(/LOG_LEVEL: /);
  });

  it('exits 1 without printing the password when the database is unreachable', async () => {
    const port = await closedPort();
    const proc = run({
      MONGODB_URI: `mongodb://admin:s3cret@127.0.0.1:${port}/`,
      DB_TIMEOUT_MS: '300',
      DB_CONNECT_ATTEMPTS: '1',
    });
    expect((await proc.exited).code).toBe(1);
    expect(proc.stderr()).toContain('HTTP API failed to start');
    expect(proc.stderr() + proc.stdout()).not.toContain('s3cret');
  });

  it('a bad setting: exit 1 with one line on stderr naming every bad variable', async () => {
    const proc = run({ MONGODB_URI: uri, PORT: 'not-a-port', LOG_LEVEL: 'loud' });
    expect((await proc.exited).code).toBe(1);
    expect(proc.stderr().endsWith('\n')).toBe(true);
    expect(proc.stderr().trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^Invalid configuration: PORT: .+; LOG_LEVEL: .+$/),
    ]);
    expect(proc.stdout()).toBe('');
  });

  it('an unreachable database: retried DB_CONNECT_ATTEMPTS times, then exit 1 with one redacted line', async () => {
    const port = await closedPort();
    const proc = run({
      MONGODB_URI: `mongodb://admin:s3cret@127.0.0.1:${port}/`,
      DB_TIMEOUT_MS: '300',
      DB_CONNECT_ATTEMPTS: '2',
    });
    expect((await proc.exited).code).toBe(1);
    expect(proc.stdout()).toContain('Database not reachable yet');
    expect(proc.stdout()).toContain('retrying (attempt 2 of 2)');
    expect(proc.stderr().trimEnd().split('\n')).toEqual([expect.stringMatching(/^HTTP API failed to start: /)]);
    expect(proc.stderr() + proc.stdout()).not.toContain('s3cret');
  });

  it('a port in use: exit 1 with one line, nothing listening', async () => {
    const dbName = testDbName('api_main');
    dbNames.push(dbName);
    const taken = createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    try {
      const { port } = taken.address() as AddressInfo;
      const proc = run({ MONGODB_URI: uri, MONGODB_DB: dbName, PORT: String(port) });
      expect((await proc.exited).code).toBe(1);
      expect(proc.stderr().trimEnd().split('\n')).toEqual([
        expect.stringMatching(/^HTTP API failed to start: listen EADDRINUSE/),
      ]);
      expect(proc.stdout()).not.toContain('listening on');
    } finally {
      taken.close();
    }
  });
});
