// A node whose own event loop stood still (SIGSTOP, a frozen container, a long synchronous task)
// for longer than DB_TIMEOUT_MS and than two heartbeats: the database answered meanwhile, so
// nothing is refused for being "unavailable" when the loop turns again, neither the write in flight
// nor the ones that arrived during the pause.
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestCore } from '../src/testing.js';
import type { Core } from '../src/core.js';

const DB_TIMEOUT_MS = 1_000;
/** Longer than DB_TIMEOUT_MS and than mongoose's heartbeat staleness (two 1 s heartbeats). */
const PAUSE_MS = 2_500;

let core: Core;

beforeAll(async () => {
  core = await createTestCore(inject('mongodbUri'), undefined, { dbTimeoutMs: DB_TIMEOUT_MS });
});
afterAll(async () => {
  await core.close();
});

function blockFor(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // the whole process stands still, as under SIGSTOP
  }
}

describe('a node resumed from a pause', () => {
  it('answers the writes in flight and those that arrived during the pause with what the database did', async () => {
    const p = 'paused';
    const { workspace } = await core.service.create({ projectId: p, name: 'W' }, { subject: 's' });
    // A node that has run a while: the driver has reported heartbeats (mongoose then judges by their age).
    await once(core.connection.getClient(), 'serverHeartbeatSucceeded');
    // A frame that arrives during the pause is read in the loop's I/O phase, after the expired timers.
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const peer = connect((server.address() as AddressInfo).port, '127.0.0.1');
    const [socket] = (await once(server, 'connection')) as [Socket];
    const fromFrame = once(socket, 'data').then(() =>
      core.service.update({ id: workspace.id, patch: { name: 'frame' } }, { subject: 's', requestId: 'f' }),
    );
    try {
      const inFlight = core.service.update(
        { id: workspace.id, patch: { name: 'flight' } },
        { subject: 's', requestId: 'i' },
      );
      await new Promise((resolve) => setTimeout(resolve, 5)); // its insert is on the wire
      peer.write('x');
      blockFor(PAUSE_MS);
      const afterwards = new Promise((resolve) => setImmediate(resolve)).then(() =>
        core.service.update({ id: workspace.id, patch: { name: 'after' } }, { subject: 's', requestId: 'a' }),
      );
      const answers = await Promise.allSettled([inFlight, fromFrame, afterwards]);
      expect(answers.map((answer) => (answer.status === 'rejected' ? String(answer.reason) : 'acked'))).toEqual([
        'acked',
        'acked',
        'acked',
      ]);
      expect((await core.service.list(p)).seq).toBe(4);
    } finally {
      peer.destroy();
      socket.destroy();
      server.close();
    }
  });
});
