import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCore, createLogger } from '@app/core';
import { afterAll, describe, expect, it, vi } from 'vitest';
// The one embedded-database helper, used here to stop and restart a database of this test's own.
// @ts-expect-error plain ES module without types
import { freePort, startDatabase } from '../../../../scripts/embedded-db.mjs';
import { createWsServer } from '../../src/server.js';
import { TestPeer, type Frame } from '../helpers/test-peer.js';

interface Db {
  uri: string;
  port: number;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

const dataDir = mkdtempSync(join(tmpdir(), 'app-outage-'));
const cleanup: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
});

describe('database outage', () => {
  it('fails fast with UNAVAILABLE while the database is down, reports not ready, and recovers by itself', async () => {
    // Always a database of its own (a pinned port makes startDatabase start one even when MONGODB_URI is set).
    let db = (await startDatabase({ dataDir, port: await freePort() })) as Db;
    cleanup.push(() => db.stop());
    const logger = createLogger({ silent: true });
    const core = await createCore({ mongodbUri: db.uri, dbName: 'outage', logger, dbTimeoutMs: 1_000 });
    cleanup.push(() => core.close());
    const server = await createWsServer({ core, logger, port: 0 });
    cleanup.push(() => server.close());
    const peer = await TestPeer.connect(server.url);
    const { workspace } = await peer.ok<{ workspace: Frame }>('workspace.create', { projectId: 'o', name: 'x' });
    // Changed only before the outage: its read-model write is due during it.
    const { workspace: before } = await peer.ok<{ workspace: Frame }>('workspace.create', {
      projectId: 'o',
      name: 'y',
    });
    await peer.ok('workspace.update', { id: before['id'], patch: { name: 'y2' } });
    const acked: number[] = [];
    let n = 0;
    const update = async (): Promise<Frame> => {
      n += 1;
      const reply = await peer.request('workspace.update', { id: workspace['id'], patch: { data: { n } } });
      if (reply.type === 'ack')
        acked.push(((reply['data'] as { workspace: Frame }).workspace['data'] as { n: number }).n);
      return reply;
    };
    for (let i = 0; i < 5; i += 1) expect((await update()).type).toBe('ack');

    await db.kill();
    const outageStarted = Date.now();
    await vi.waitFor(async () => expect(await core.isDatabaseReady()).toBe(false), { timeout: 5_000 });
    // During the outage (~10 s in all): every request is answered quickly with UNAVAILABLE.
    const slowest: number[] = [];
    while (Date.now() - outageStarted < 10_000) {
      const started = performance.now();
      const reply = await update();
      slowest.push(performance.now() - started);
      expect(reply).toMatchObject({ type: 'error', code: 'UNAVAILABLE' });
      expect(await peer.request('workspace.list', { projectId: 'o' })).toMatchObject({ code: 'UNAVAILABLE' });
      await new Promise((resolve) => setTimeout(resolve, 250)); // pacing the traffic during the outage
    }
    expect(Math.max(...slowest)).toBeLessThan(2_500);
    expect(await peer.ok('ping')).toHaveProperty('ts'); // the WebSocket side stays up

    db = (await startDatabase({ dataDir, port: db.port })) as Db;
    await vi.waitFor(async () => expect(await core.isDatabaseReady()).toBe(true), { timeout: 20_000, interval: 200 });
    await vi.waitFor(async () => expect((await update()).type).toBe('ack'), { timeout: 10_000, interval: 200 });
    const list = await peer.ok<{ workspaces: Frame[]; seq: number }>('workspace.list', { projectId: 'o' });
    expect((list.workspaces[0]!['data'] as { n: number }).n).toBe(acked[acked.length - 1]);
    expect(list.workspaces[0]!['version']).toBe(acked.length + 1);
    // The read model writes that could not land during the outage kept what they owed: written now, they are complete.
    await core.service.flush();
    expect(await core.models.Workspace.findById(before['id']).lean()).toMatchObject({ name: 'y2', version: 2 });
    expect(await core.models.Workspace.findById(workspace['id']).lean()).toMatchObject({ version: acked.length + 1 });
    expect(await core.models.Project.findById('o').lean()).toMatchObject({ seq: list.seq });
    await peer.close();
  }, 60_000);
});
