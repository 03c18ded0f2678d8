import { afterAll, describe, expect, inject, it } from 'vitest';
import { createCore } from '@app/core';
import { createTestCore, silentLogger, singleHostOf, startDbProxy, testDbName, viaPort } from '@app/core/testing';
import { expectNoLeak, request, startApi } from '../helpers/start-api.js';

const uri = inject('mongodbUri');
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('GET /ready', () => {
  it('answers 200 {status:"ready"} while the database answers, 503 {status:"unavailable"} once its connection is closed', async () => {
    const core = await createTestCore(uri);
    cleanups.push(() => core.close());
    await using api = await startApi({ core });
    const up = await request(`${api.url}/ready`);
    expect(up.status).toBe(200);
    expect(up.body).toEqual({ status: 'ready' });
    expect(up.headers.get('cache-control')).toBe('no-store');

    await core.connection.dropDatabase();
    await core.connection.close();
    const down = await request(`${api.url}/ready`);
    expect(down.status).toBe(503);
    expect(down.body).toEqual({ status: 'unavailable' });
    // Liveness does not depend on the database.
    expect((await request(`${api.url}/health`)).status).toBe(200);
  });

  const target = singleHostOf(uri);
  it.skipIf(target === undefined)(
    'answers 503 when the database becomes unreachable, and workspace reads get 503 UNAVAILABLE',
    async () => {
      const proxy = await startDbProxy(target!);
      const dbName = testDbName('api_ready');
      const core = await createCore({
        mongodbUri: viaPort(uri, proxy.port),
        dbName,
        logger: silentLogger(),
        dbTimeoutMs: 1_000,
      });
      cleanups.push(async () => {
        await core.close().catch(() => {});
        const cleaner = await createTestCore(uri, dbName);
        await cleaner.close(); // drops the database
      });
      await using api = await startApi({ core });
      await core.service.create({ projectId: 'p1', name: 'A' }, { subject: 'anonymous' });
      expect((await request(`${api.url}/ready`)).status).toBe(200);

      await proxy.cut();
      const ready = await request(`${api.url}/ready`);
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual({ status: 'unavailable' });
      const list = await request(`${api.url}/api/projects/p1/workspaces`);
      expect(list.status).toBe(503);
      expect(list.body).toMatchObject({ code: 'UNAVAILABLE' });
      expectNoLeak(list.text);
      expect(list.text).not.toContain(String(proxy.port));
    },
  );
});
