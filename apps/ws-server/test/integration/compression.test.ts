import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { createClient, type Client, type ServerEvent } from '@app/client';
import { ConfigError, loadConfig, createMetrics } from '@app/core';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { DEFAULT_COMPRESSION } from '../../src/compression.js';
import { wsServerOptionsFromConfig } from '../../src/options-from-config.js';
import { memoryLogger, startServer, type TestServer } from '../helpers/start-server.js';

const mongodbUri = inject('mongodbUri');
let plain: TestServer;
let compressing: TestServer;
const clients: Client[] = [];

beforeAll(async () => {
  plain = await startServer(mongodbUri);
  compressing = await startServer(mongodbUri, { compression: DEFAULT_COMPRESSION, maxMessageBytes: 256 * 1024 });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await plain.close();
  await compressing.close();
});

/** The `ws` class, keeping every socket @app/client makes and the upgrade response it got. */
function keepingWebSocket() {
  const sockets: { socket: WebSocket; response: Promise<IncomingMessage> }[] = [];
  class KeepingWebSocket extends WebSocket {
    constructor(url: string) {
      super(url);
      sockets.push({ socket: this, response: new Promise((resolve) => this.once('upgrade', resolve)) });
    }
  }
  return { KeepingWebSocket, sockets };
}

/** Bytes this socket has read off TCP so far: frames as they were on the wire. */
function bytesRead(socket: WebSocket): number {
  return (socket as unknown as { _socket: Socket })._socket.bytesRead;
}

/** A prompt that compresses like real text does (words repeat, not one character). */
function prompt(words: number): string {
  const vocabulary = [
    'a',
    'red',
    'fox',
    'at',
    'dawn',
    'walks',
    'through',
    'misty',
    'forest',
    'camera',
    'slowly',
    'pans',
    'left',
    'golden',
    'light',
    'cinematic',
    'wide',
    'shot',
    'of',
    'the',
  ];
  return Array.from({ length: words }, (_, i) => vocabulary[(i * 7 + Math.floor(i / 3)) % vocabulary.length]).join(' ');
}

describe('permessage-deflate', () => {
  it('is off by default: a client offering it gets no extension, in the config and in the server', async () => {
    const config = loadConfig({ AUTH_MODE: 'none' });
    expect(config.WS_COMPRESSION).toBe('off');
    expect(
      wsServerOptionsFromConfig(config, { core: plain.core, logger: memoryLogger([]), metrics: createMetrics() })
        .compression,
    ).toBeUndefined();
    const socket = new WebSocket(plain.url); // ws offers permessage-deflate by default
    const response = new Promise<IncomingMessage>((resolve) => socket.once('upgrade', resolve));
    await new Promise((resolve) => socket.once('open', resolve));
    expect((await response).headers['sec-websocket-extensions']).toBeUndefined();
    expect(socket.extensions).toBe('');
    socket.close();
  });

  it('WS_COMPRESSION=on maps the limits from the config; out-of-range limits are refused naming the variable', () => {
    const on = loadConfig({ AUTH_MODE: 'none', WS_COMPRESSION: 'on' });
    expect(
      wsServerOptionsFromConfig(on, { core: plain.core, logger: memoryLogger([]), metrics: createMetrics() })
        .compression,
    ).toEqual(DEFAULT_COMPRESSION);
    const tuned = loadConfig({
      AUTH_MODE: 'none',
      WS_COMPRESSION: 'on',
      WS_COMPRESSION_THRESHOLD_BYTES: '4096',
      WS_COMPRESSION_WINDOW_BITS: '10',
      WS_COMPRESSION_MEM_LEVEL: '3',
      WS_COMPRESSION_LEVEL: '6',
      WS_COMPRESSION_CONCURRENCY: '2',
    });
    expect(wsServerOptionsFromConfig(tuned, { core: plain.core, logger: memoryLogger([]) }).compression).toEqual({
      thresholdBytes: 4096,
      windowBits: 10,
      memLevel: 3,
      level: 6,
      concurrencyLimit: 2,
    });
    for (const [name, value] of [
      ['WS_COMPRESSION', 'yes'],
      ['WS_COMPRESSION_WINDOW_BITS', '8'],
      ['WS_COMPRESSION_WINDOW_BITS', '16'],
      ['WS_COMPRESSION_MEM_LEVEL', '0'],
      ['WS_COMPRESSION_CONCURRENCY', '0'],
    ] as const) {
      expect(() => loadConfig({ AUTH_MODE: 'none', [name]: value }), `${name}=${value}`).toThrow(ConfigError);
      expect(() => loadConfig({ AUTH_MODE: 'none', [name]: value })).toThrow(new RegExp(`${name}: `));
    }
  });

  it('is negotiated by @app/client in Node when the server offers it; data round-trips, compressed on the wire', async () => {
    const { KeepingWebSocket, sockets } = keepingWebSocket();
    const client = createClient({ url: compressing.url, WebSocket: KeepingWebSocket });
    clients.push(client);
    const projectId = 'deflate';
    const events: ServerEvent[] = [];
    await new Promise<void>((resolve) =>
      client.subscribe(projectId, { onSnapshot: () => resolve(), onEvent: (e) => events.push(e) }),
    );

    // Both ends agree on the extension and on the server's window limit.
    const [{ socket, response }] = sockets as [(typeof sockets)[number]];
    const negotiated = (await response).headers['sec-websocket-extensions'];
    expect(negotiated).toContain('permessage-deflate');
    expect(negotiated).toContain(`server_max_window_bits=${DEFAULT_COMPRESSION.windowBits}`);
    expect(negotiated).toContain('server_no_context_takeover');
    expect(socket.extensions).toContain('permessage-deflate');
    const [serverSide] = [...compressing.server.connections];
    expect(serverSide!.socket.extensions).toContain('permessage-deflate');

    const data = { prompt: prompt(4_000), settings: { fps: 24, style: 'cinematic' } };
    const json = JSON.stringify(data).length;
    const before = bytesRead(socket);
    const ack = await client.createWorkspace({ projectId, name: 'compressed', data });
    expect(ack.workspace.data).toEqual(data);
    await vi.waitFor(() => expect(events).toHaveLength(1));
    expect(events[0]).toMatchObject({ type: 'workspace.created', data: { workspace: { data } } });
    // The ack and the event each carry `data` in full; on the wire both together are far smaller than one copy.
    expect(bytesRead(socket) - before).toBeLessThan(json / 2);
    const listed = await client.listWorkspaces({ projectId });
    expect(listed.workspaces[0]!.data).toEqual(data);
  });

  it('sends frames below the threshold uncompressed', async () => {
    const socket = new WebSocket(compressing.url);
    await new Promise((resolve) => socket.once('message', resolve)); // hello
    expect(socket.extensions).toContain('permessage-deflate');
    const before = bytesRead(socket);
    socket.send(JSON.stringify({ type: 'ping', id: 'p1' }));
    const pong = await new Promise<Buffer>((resolve) => socket.once('message', (data: Buffer) => resolve(data)));
    // A 2-byte frame header and the pong as it is: not compressed.
    expect(pong.length).toBeLessThan(DEFAULT_COMPRESSION.thresholdBytes);
    expect(bytesRead(socket) - before).toBe(pong.length + 2);
    socket.close();
  });

  it('bounds what a compressed frame may inflate to: past maxMessageBytes the connection closes with 1009 and the server carries on', async () => {
    const bomb = new WebSocket(compressing.url, { perMessageDeflate: { threshold: 0 } });
    await new Promise((resolve) => bomb.once('open', resolve));
    const closed = new Promise<number>((resolve) => bomb.once('close', (code) => resolve(code)));
    const sentBefore = (bomb as unknown as { _socket: Socket })._socket.bytesWritten;
    bomb.send(JSON.stringify({ type: 'ping', id: 'x'.repeat(4 * 1024 * 1024) })); // 4 MiB inflated, a few KiB on the wire
    expect(await closed).toBe(1009);
    expect((bomb as unknown as { _socket: Socket })._socket.bytesWritten - sentBefore).toBeLessThan(64 * 1024);
    const next = new WebSocket(compressing.url);
    await new Promise((resolve) => next.once('open', resolve));
    next.close();
  });
});
