import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Connection, type CloseInfo, type ConnectionOptions } from '../src/connection.js';
import { FakeSocket } from './helpers/fake-socket.js';

let closes: CloseInfo[];
let messages: unknown[];
let opened: number;

function connect(overrides: Partial<ConnectionOptions> = {}): Connection {
  return new Connection({
    url: 'ws://test/',
    WebSocket: FakeSocket,
    connectTimeoutMs: 500,
    closeTimeoutMs: 200,
    keepAlive: { mode: 'auto', intervalMs: undefined, pongTimeoutMs: 100 },
    onOpen: () => opened++,
    onMessage: (message) => messages.push(message),
    onInvalidFrame: () => {},
    onClose: (info) => closes.push(info),
    ...overrides,
  });
}

beforeEach(() => {
  vi.useFakeTimers();
  closes = [];
  messages = [];
  opened = 0;
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Connection', () => {
  it('is open only after hello, and passes later frames on', () => {
    FakeSocket.reset();
    const connection = connect();
    expect(connection.isOpen).toBe(false);
    expect(connection.send('x')).toBe(false);
    FakeSocket.last().hello();
    expect([connection.isOpen, opened]).toEqual([true, 1]);
    FakeSocket.last().receive({ type: 'ack', id: 'a', data: {} });
    expect(messages).toEqual([{ type: 'ack', id: 'a', data: {} }]);
  });

  it('aborts when the first frame is not hello, or hello does not come in time', () => {
    FakeSocket.reset(true);
    connect();
    FakeSocket.last().receive({ type: 'ack', id: 'a', data: {} });
    expect(closes).toEqual([{ code: 1006, reason: 'The first frame is not a hello' }]);
    expect(FakeSocket.last().terminate).toHaveBeenCalled();
    connect();
    vi.advanceTimersByTime(500);
    expect(closes[1]).toEqual({ code: 1006, reason: 'No hello within 500 ms' });
  });

  it('with ws-style sockets, terminates after 2 x heartbeatMs without a ping; each ping resets the wait', () => {
    FakeSocket.reset(true);
    connect();
    const socket = FakeSocket.last();
    socket.hello(100);
    for (let i = 0; i < 5; i++) {
      vi.advanceTimersByTime(150);
      socket.pingListener?.();
    }
    expect(closes).toEqual([]);
    vi.advanceTimersByTime(200);
    expect(closes).toEqual([]); // one more tick, for I/O held up by a busy event loop
    socket.pingListener?.();
    vi.advanceTimersByTime(200);
    expect(closes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(closes).toEqual([{ code: 1006, reason: 'No ping from the server for 201 ms' }]);
    expect(socket.terminate).toHaveBeenCalledTimes(1);
    expect(socket.close).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('with browser-style sockets, pings after a quiet period and closes when no frame answers', () => {
    FakeSocket.reset(false);
    connect();
    const socket = FakeSocket.last();
    socket.hello(300);
    vi.advanceTimersByTime(300);
    expect(socket.sent).toEqual([{ type: 'ping', id: expect.any(String) }]);
    const { id } = socket.sent[0] as { id: string };
    socket.receive({ type: 'pong', id, data: { ts: '2026-01-01T00:00:00Z' } });
    expect(messages).toEqual([]); // its own pong is not passed on
    vi.advanceTimersByTime(300);
    expect(socket.sent).toHaveLength(2);
    vi.advanceTimersByTime(100);
    expect(closes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(closes).toEqual([{ code: 1006, reason: 'No pong within 100 ms' }]);
    expect(socket.close).toHaveBeenCalledWith(4000, 'No pong within 100 ms');
  });

  it('maps an upgrade refused with HTTP 401 or 403 to 4001 / 4003', () => {
    FakeSocket.reset(true);
    connect();
    FakeSocket.last().error('Unexpected server response: 401');
    FakeSocket.last().serverClose(1006);
    connect();
    FakeSocket.last().error('Unexpected server response: 403');
    FakeSocket.last().serverClose(1006);
    connect();
    FakeSocket.last().error('Unexpected server response: 503');
    FakeSocket.last().serverClose(1006);
    expect(closes.map((c) => c.code)).toEqual([4001, 4003, 1006]);
  });

  it('close() resolves when the socket closes, or drops it after closeTimeoutMs', async () => {
    FakeSocket.reset(true);
    const polite = connect();
    FakeSocket.last().hello();
    await polite.close(1000, 'bye');
    expect(closes).toEqual([{ code: 1000, reason: 'bye' }]);

    const stuck = connect();
    const socket = FakeSocket.last();
    socket.hello();
    socket.close.mockImplementation(() => {}); // the peer never answers the close frame
    const closed = stuck.close();
    vi.advanceTimersByTime(200);
    await closed;
    expect(socket.terminate).toHaveBeenCalled();
    expect(closes[1]).toEqual({ code: 1006, reason: 'Closing handshake timed out' });
    expect(vi.getTimerCount()).toBe(0);
  });
});
