import { vi } from 'vitest';
import type { WebSocketLike } from '../../src/index.js';

type Handler = ((event: never) => void) | null;

/** A scriptable socket with the standard API; `nodeExtras` adds `on('ping')`/`terminate()` like `ws`. */
export class FakeSocket implements WebSocketLike {
  static instances: FakeSocket[] = [];
  static nodeExtras = false;
  readyState = 0;
  onopen: Handler = null;
  onmessage: Handler = null;
  onclose: Handler = null;
  onerror: Handler = null;
  readonly url: string;
  readonly sent: unknown[] = [];
  readonly close = vi.fn((code?: number, reason?: string) => {
    this.readyState = 2;
    queueMicrotask(() => this.serverClose(code ?? 1005, reason ?? ''));
  });
  pingListener: (() => void) | undefined;
  on?: (event: 'ping', listener: () => void) => void;
  terminate?: () => void;

  constructor(url: string) {
    this.url = url;
    FakeSocket.instances.push(this);
    if (FakeSocket.nodeExtras) {
      this.on = (_event, listener) => (this.pingListener = listener);
      this.terminate = vi.fn(() => {
        this.readyState = 3;
      });
    }
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }

  receive(frame: unknown): void {
    (this.onmessage as ((event: { data: unknown }) => void) | null)?.({ data: JSON.stringify(frame) });
  }

  hello(heartbeatMs = 1_000): void {
    this.readyState = 1;
    (this.onopen as ((event: object) => void) | null)?.({});
    this.receive({ type: 'hello', data: { protocol: 1, sessionId: 's', heartbeatMs, maxMessageBytes: 1_000_000 } });
  }

  serverClose(code: number, reason = ''): void {
    this.readyState = 3;
    (this.onclose as ((event: { code: number; reason: string }) => void) | null)?.({ code, reason });
  }

  error(message: string): void {
    (this.onerror as ((event: { message: string }) => void) | null)?.({ message });
  }

  static reset(nodeExtras = false): void {
    FakeSocket.instances = [];
    FakeSocket.nodeExtras = nodeExtras;
  }

  static last(): FakeSocket {
    const socket = FakeSocket.instances.at(-1);
    if (socket === undefined) throw new Error('no socket yet');
    return socket;
  }
}
