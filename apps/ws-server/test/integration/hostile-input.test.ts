import net from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { TestPeer, type Frame } from '../helpers/test-peer.js';

let server: TestServer;
let peer: TestPeer;
const P = 'hostile';
let baseline: { workspaces: Frame[]; seq: number };

beforeAll(async () => {
  server = await startServer(inject('mongodbUri'), { maxMessageBytes: 64 * 1024 });
  peer = await TestPeer.connect(server.url);
  await peer.ok('workspace.create', { projectId: P, name: 'Keep', data: { safe: true } });
  baseline = await peer.ok('workspace.list', { projectId: P });
});
afterAll(async () => {
  await peer.close();
  await server.close();
});

async function expectStillHealthy(): Promise<void> {
  expect(await peer.ok('workspace.list', { projectId: P })).toEqual(baseline);
  expect(({} as Record<string, unknown>)['isAdmin']).toBeUndefined();
  expect(({} as Record<string, unknown>)['x']).toBeUndefined();
}

describe('hostile input in data and ids', () => {
  const workspaceId = () => (baseline.workspaces[0] as Frame)['id'];

  it('stores prototype-named keys in data as plain data (round trip, no pollution); refuses them in the envelope', async () => {
    const bodies = [
      '{"__proto__":{"isAdmin":true}}',
      '{"constructor":{"prototype":{"x":1}}}',
      '{"a":{"b":[{"prototype":1}]},"toString":"s","hasOwnProperty":[[]]}',
    ];
    const other = 'hostile-proto';
    for (const body of bodies) {
      const id = `pp-${bodies.indexOf(body)}`;
      const reply = peer.next((f) => f['id'] === id);
      peer.sendRaw(
        `{"type":"workspace.create","id":"${id}","data":{"projectId":"${other}","name":"p","data":${body}}}`,
      );
      const ack = await reply;
      expect(ack['type'], JSON.stringify(ack)).toBe('ack');
      // Compared as JSON text: toEqual would not see a `__proto__` own key differ.
      expect(JSON.stringify((ack['data'] as { workspace: Frame }).workspace['data'])).toBe(body);
    }
    const listed = await peer.ok<{ workspaces: Frame[] }>('workspace.list', { projectId: other });
    expect(listed.workspaces.map((w) => JSON.stringify(w['data']))).toEqual(bodies);
    const topLevel = peer.next((f) => f['id'] === 'pp-top');
    peer.sendRaw('{"type":"ping","id":"pp-top","__proto__":{"isAdmin":true}}');
    expect(await topLevel).toMatchObject({ code: 'INVALID_MESSAGE' });
    await expectStillHealthy();
  });

  it('rejects $-operator, dotted and NUL keys in data, and operator objects in id fields', async () => {
    const attempts: unknown[] = [
      { id: workspaceId(), patch: { data: { $set: { name: 'pwned' } } } },
      { id: workspaceId(), patch: { data: { 'a.b': 1 } } },
      { id: workspaceId(), patch: { data: { nested: { $inc: { version: 1 } } } } },
      { id: workspaceId(), patch: { data: { 'nul\u0000key': 1 } } },
      { id: workspaceId(), patch: { data: { s: 'nul\u0000value' } } },
      { id: { $gt: '' }, patch: { name: 'x' } },
      { id: { $ne: null }, patch: { name: 'x' } },
      { id: 'a.b', patch: { name: 'x' } },
      { id: '$where', patch: { name: 'x' } },
    ];
    for (const data of attempts) {
      expect(await peer.request('workspace.update', data), JSON.stringify(data)).toMatchObject({
        code: 'INVALID_MESSAGE',
      });
    }
    expect(await peer.request('workspace.list', { projectId: { $ne: null } })).toMatchObject({
      code: 'INVALID_MESSAGE',
    });
    expect(await peer.request('subscribe', { projectId: { $regex: '.*' } })).toMatchObject({ code: 'INVALID_MESSAGE' });
    await expectStillHealthy();
  });

  it('rejects deep nesting (top level and inside data) without a stack overflow', async () => {
    const deep = '['.repeat(30_000) + ']'.repeat(30_000); // under the 64 KiB frame limit
    const r1 = peer.nextNew((f) => f.type === 'error');
    peer.sendRaw(deep);
    expect(await r1).toMatchObject({ code: 'INVALID_JSON' });
    let nested = '1';
    for (let i = 0; i < 1_000; i += 1) nested = `{"a":${nested}}`;
    const r2 = peer.next((f) => f['id'] === 'deep');
    peer.sendRaw(`{"type":"workspace.update","id":"deep","data":{"id":"${workspaceId()}","patch":{"data":${nested}}}}`);
    expect(await r2).toMatchObject({ code: 'INVALID_MESSAGE' });
    await expectStillHealthy();
  });

  it('rejects oversized names, non-finite numbers and over-long ids', async () => {
    expect(await peer.request('workspace.create', { projectId: P, name: 'n'.repeat(201) })).toMatchObject({
      code: 'INVALID_MESSAGE',
    });
    expect(await peer.request('workspace.create', { projectId: 'p'.repeat(65), name: 'x' })).toMatchObject({
      code: 'INVALID_MESSAGE',
    });
    const r = peer.next((f) => f['id'] === 'inf');
    peer.sendRaw(`{"type":"workspace.create","id":"inf","data":{"projectId":"${P}","name":"x","position":1e400}}`);
    expect(await r).toMatchObject({ code: 'INVALID_MESSAGE' });
    await expectStillHealthy();
  });
});

describe('transport limits', () => {
  it('closes with 1003 on a binary frame', async () => {
    const other = await TestPeer.connect(server.url);
    other.sendRaw(Buffer.from('{"type":"ping"}'), { binary: true });
    expect((await other.closed).code).toBe(1003);
    await expectStillHealthy();
  });

  it('closes with 1009 on a frame over maxMessageBytes', async () => {
    const other = await TestPeer.connect(server.url);
    other.sendRaw(JSON.stringify({ type: 'ping', data: { pad: 'x'.repeat(70 * 1024) } }));
    expect((await other.closed).code).toBe(1009);
    await expectStillHealthy();
  });

  it('closes with 1007 on invalid UTF-8 in a text frame', async () => {
    const other = await TestPeer.connect(server.url);
    // A masked text frame whose payload is not valid UTF-8 (0xff), written on the raw socket.
    const payload = Buffer.from([0x7b, 0xff, 0x7d]);
    const mask = Buffer.from([1, 2, 3, 4]);
    const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
    const frame = Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
    (other.socket as unknown as { _socket: net.Socket })._socket.write(frame);
    expect((await other.closed).code).toBe(1007);
    await expectStillHealthy();
  });

  it('answers plain HTTP on the WebSocket port with 426 and survives garbage bytes', async () => {
    const response = await fetch(server.url.replace('ws://', 'http://'));
    expect(response.status).toBe(426);
    await new Promise<void>((resolve) => {
      const socket = net.connect(server.server.port, '127.0.0.1', () => socket.end('\x00\x01garbage\r\n\r\n'));
      socket.on('error', () => resolve());
      socket.on('close', () => resolve());
    });
    await expectStillHealthy();
  });
});
