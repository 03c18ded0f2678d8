// Frames refused for rate are answered without being parsed (the id comes from the first 1 KiB), and the
// refusals held against a connection decay with time instead of resetting on each accepted frame: a
// peer that mixes one accepted frame with many refused ones is closed with 1008.
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import WebSocket from 'ws';
import { frameIdFromPrefix } from '@app/protocol';
import { Strikes } from '../../src/strikes.js';
import { startServer, type TestServer } from '../helpers/start-server.js';

const mongodbUri = inject('mongodbUri');
let server: TestServer | undefined;
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate();
  vi.restoreAllMocks();
  await server?.close();
  server = undefined;
});

async function open(url: string): Promise<{ socket: WebSocket; replies: Record<string, unknown>[] }> {
  const socket = new WebSocket(url);
  sockets.push(socket);
  const replies: Record<string, unknown>[] = [];
  socket.on('message', (data: Buffer) => {
    const frame = JSON.parse(data.toString()) as Record<string, unknown>;
    if (frame['type'] !== 'hello') replies.push(frame);
  });
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return { socket, replies };
}

describe('refused frames', () => {
  it('are answered RATE_LIMITED with their id without being parsed', async () => {
    server = await startServer(mongodbUri, { limits: { ratePerSec: 1, rateBurst: 1, maxStrikes: 1_000 } });
    const { socket, replies } = await open(server.url);
    const big = (id: string) =>
      `{"type":"workspace.create","id":"${id}","data":{"projectId":"p","name":"n","data":{"s":"${'x'.repeat(200_000)}"}}}`;
    socket.send('{"type":"ping","id":"first"}');
    await vi.waitFor(() => expect(replies).toHaveLength(1));
    const parse = vi.spyOn(JSON, 'parse');
    for (let i = 0; i < 5; i += 1) socket.send(big(`r${i}`));
    await vi.waitFor(() => expect(replies).toHaveLength(6));
    expect(parse.mock.calls.filter(([text]) => typeof text === 'string' && text.length > 10_000)).toEqual([]);
    for (let i = 0; i < 5; i += 1)
      expect(replies[i + 1]).toMatchObject({ type: 'error', code: 'RATE_LIMITED', id: `r${i}` });
  });

  it('close a peer that sends one accepted frame among many refused ones (1008)', async () => {
    server = await startServer(mongodbUri, { limits: { ratePerSec: 10, rateBurst: 1, maxStrikes: 100 } });
    const { socket } = await open(server.url);
    const closed = new Promise<number>((resolve) => socket.once('close', resolve));
    // Each round: one frame the bucket grants (it refills one token per 100 ms), then 60 refused; the
    // refusals decay by 10 a second, so they pile up unless rounds are 6 s apart.
    for (let round = 0; round < 5 && socket.readyState === WebSocket.OPEN; round += 1) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      for (let i = 0; i < 61 && socket.readyState === WebSocket.OPEN; i += 1) socket.send('{"type":"ping"}');
    }
    // The server's close frame arrives at once (readyState leaves OPEN); the socket ends after its grace time.
    await vi.waitFor(() => expect(socket.readyState).not.toBe(WebSocket.OPEN), { timeout: 5_000 });
    expect(await closed).toBe(1008);
  });
});

describe('Strikes', () => {
  it('adds one per refusal and decays at its rate, never below zero', () => {
    let now = 0;
    const strikes = new Strikes(10, () => now);
    expect(strikes.add()).toBe(1);
    expect(strikes.add()).toBe(2);
    now += 100; // one decays
    expect(strikes.add()).toBeCloseTo(2);
    now += 60_000;
    expect(strikes.add()).toBe(1);
  });
});

describe('frameIdFromPrefix', () => {
  it.each([
    ['{"type":"ping","id":"a1"}', 'a1'],
    ['{"id" : "a\\"b","type":"ping"}', 'a"b'],
    ['{"type":"ping","data":{"id":"inner"},"id":"outer"}', 'outer'],
    ['{"type":"id","x":1}', undefined],
    ['{"type":"ping","id":5}', undefined],
    ['{"type":"ping","id":"unterminated', undefined],
    [`{"type":"ping","id":"${'x'.repeat(65)}"}`, undefined],
  ])('%s -> %s', (text, id) => {
    expect(frameIdFromPrefix(text)).toBe(id);
  });
});
