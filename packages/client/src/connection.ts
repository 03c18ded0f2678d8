import type { Ack, ErrorFrame, Hello, Page, Pong, ProtocolError, ServerEvent } from '@app/protocol';
import { CLOSE_CODES, encodeRequest, parseServerFrame } from '@app/protocol/lite';
import type { ResolvedOptions, WebSocketConstructor, WebSocketLike } from './options.js';

/** What `hello` tells about the connection: `sessionId`, `heartbeatMs`, `maxMessageBytes`. */
export type HelloData = Hello['data'];
/** Every frame after `hello`. */
export type IncomingMessage = Ack | Page | Pong | ErrorFrame | ServerEvent;
/** Why a connection ended. Client-side timeouts and failures to connect use 1006 (abnormal closure). */
export interface CloseInfo {
  code: number;
  reason: string;
}

export interface ConnectionOptions {
  url: string;
  WebSocket: WebSocketConstructor;
  connectTimeoutMs: number;
  closeTimeoutMs: number;
  keepAlive: ResolvedOptions['keepAlive'];
  onOpen: (hello: HelloData) => void;
  onMessage: (message: IncomingMessage) => void;
  onInvalidFrame: (error: ProtocolError) => void;
  /** Called exactly once, whatever ended the connection. */
  onClose: (info: CloseInfo) => void;
}

/** Extras of the `ws` package's socket, used when present. */
interface NodeSocketExtras {
  on(event: 'ping', listener: () => void): unknown;
  off?(event: 'ping', listener: () => void): unknown;
  terminate?(): void;
}

const ABNORMAL_CLOSURE = 1006;
const OPEN = 1;
/** Upgrade refusals that mean the same as the protocol's terminal close codes (seen in Node through `ws`). */
const REFUSED_UPGRADES: ReadonlyMap<number, number> = new Map([
  [401, CLOSE_CODES.UNAUTHORIZED],
  [403, CLOSE_CODES.FORBIDDEN_ORIGIN],
]);

function hasNodeExtras(socket: unknown): socket is NodeSocketExtras {
  return typeof (socket as Partial<NodeSocketExtras>).on === 'function';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * One socket's life: open, wait for `hello`, watch liveness, close. Never reconnects; the client
 * makes a new `Connection` for every attempt.
 */
export class Connection {
  readonly #options: ConnectionOptions;
  readonly #pingId = globalThis.crypto.randomUUID();
  #socket: WebSocketLike | undefined;
  #hello: HelloData | undefined;
  #closed = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #closeWaiters: (() => void)[] = [];
  #mode: 'server-ping' | 'client-ping' | 'off' = 'off';
  #lastActivityAt = 0;
  /** When the keep-alive ping went out; cleared by any frame received after it. */
  #pingSentAt: number | undefined;
  #refusedWithStatus: number | undefined;
  #graceUsed = false;

  constructor(options: ConnectionOptions) {
    this.#options = options;
    let socket: WebSocketLike;
    try {
      socket = new options.WebSocket(options.url);
    } catch (error) {
      queueMicrotask(() => this.#finish({ code: ABNORMAL_CLOSURE, reason: `Cannot open: ${messageOf(error)}` }));
      return;
    }
    this.#socket = socket;
    socket.onmessage = (event: { data: unknown }) => this.#socketOnMessage(event.data);
    socket.onerror = (event: { message?: unknown; error?: unknown }) => this.#socketOnError(event);
    socket.onclose = (event: { code: number; reason: string }) =>
      this.#finish({ code: event.code, reason: event.reason });
    this.#timer = setTimeout(
      () => this.abort(`No hello within ${options.connectTimeoutMs} ms`),
      options.connectTimeoutMs,
    );
  }

  /** Set once `hello` arrived; the connection is usable from then on. */
  get hello(): HelloData | undefined {
    return this.#hello;
  }

  get isOpen(): boolean {
    return this.#hello !== undefined && !this.#closed && this.#closeTimer === undefined;
  }

  /** Writes one frame; false if the socket cannot take it (the close event follows). */
  send(frame: string): boolean {
    const socket = this.#socket;
    if (!this.isOpen || socket === undefined || socket.readyState !== OPEN) return false;
    try {
      socket.send(frame);
      return true;
    } catch {
      return false;
    }
  }

  /** Starts the closing handshake; resolves once closed, dropping the socket after `closeTimeoutMs`. */
  close(code = 1000, reason = ''): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const closed = new Promise<void>((resolve) => this.#closeWaiters.push(resolve));
    if (this.#closeTimer === undefined) {
      this.#stopTimer();
      this.#closeTimer = setTimeout(() => this.abort('Closing handshake timed out'), this.#options.closeTimeoutMs);
      try {
        this.#socket?.close(code, reason);
      } catch {
        this.abort('Close failed');
      }
    }
    return closed;
  }

  /** Drops the connection at once (dead peer, timeout): no closing handshake. */
  abort(reason: string): void {
    if (this.#closed) return;
    const socket = this.#socket;
    if (socket !== undefined) {
      socket.onmessage = null;
      socket.onclose = null;
      socket.onerror = () => {}; // keep a listener: `ws` throws on an 'error' nobody listens to
      if (hasNodeExtras(socket)) socket.off?.('ping', this.#socketOnPing);
      try {
        if (hasNodeExtras(socket) && socket.terminate !== undefined) socket.terminate();
        else socket.close(4000, reason.slice(0, 100));
      } catch {
        // already closing
      }
    }
    this.#finish({ code: ABNORMAL_CLOSURE, reason });
  }

  #finish(info: CloseInfo): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopTimer();
    if (this.#closeTimer !== undefined) clearTimeout(this.#closeTimer);
    this.#closeTimer = undefined;
    const refusal = this.#refusedWithStatus === undefined ? undefined : REFUSED_UPGRADES.get(this.#refusedWithStatus);
    const final =
      refusal === undefined ? info : { code: refusal, reason: `Upgrade refused with HTTP ${this.#refusedWithStatus}` };
    for (const resolve of this.#closeWaiters.splice(0)) resolve();
    this.#options.onClose(final);
  }

  #socketOnError(event: { message?: unknown; error?: unknown }): void {
    const text = typeof event.message === 'string' ? event.message : messageOf(event.error);
    const status = /Unexpected server response: (\d{3})/.exec(text)?.[1];
    if (status !== undefined) this.#refusedWithStatus = Number(status);
  }

  #socketOnMessage(data: unknown): void {
    if (this.#closed) return;
    this.#lastActivityAt = performance.now();
    if (this.#pingSentAt !== undefined) {
      // The answer to a keep-alive ping: the timer still waits out the pong timeout; the next ping is due `intervalMs` from now.
      this.#pingSentAt = undefined;
      this.#stopTimer();
      this.#check();
    }
    if (typeof data !== 'string') return; // binary frames are not part of the protocol
    const result = parseServerFrame(data);
    if (this.#hello === undefined) {
      if (!result.ok || result.value.type !== 'hello') return this.abort('The first frame is not a hello');
      this.#hello = result.value.data;
      this.#stopTimer();
      this.#startKeepAlive();
      return this.#options.onOpen(result.value.data);
    }
    if (!result.ok) return this.#options.onInvalidFrame(result.error);
    const message = result.value;
    if (message.type === 'hello') return;
    if (message.type === 'pong' && message.id === this.#pingId) return; // our keep-alive ping
    this.#options.onMessage(message);
  }

  readonly #socketOnPing = (): void => {
    this.#lastActivityAt = performance.now();
  };

  #startKeepAlive(): void {
    const { mode } = this.#options.keepAlive;
    if (mode === 'off') return;
    const socket = this.#socket;
    const canSeePings = hasNodeExtras(socket);
    this.#mode = mode === 'client-ping' || !canSeePings ? 'client-ping' : 'server-ping';
    if (this.#mode === 'server-ping' && canSeePings) socket.on('ping', this.#socketOnPing);
    this.#lastActivityAt = performance.now();
    this.#check();
  }

  readonly #check = (): void => {
    this.#timer = undefined;
    const hello = this.#hello;
    if (this.#closed || hello === undefined) return;
    const now = performance.now();
    const idle = now - this.#lastActivityAt;
    if (this.#mode === 'server-ping') {
      const limit = 2 * hello.heartbeatMs;
      if (idle >= limit) return this.#expire(`No ping from the server for ${Math.round(idle)} ms`);
      return this.#arm(limit - idle);
    }
    const { pongTimeoutMs, intervalMs = hello.heartbeatMs } = this.#options.keepAlive;
    if (this.#pingSentAt !== undefined) {
      const waited = now - this.#pingSentAt;
      if (waited >= pongTimeoutMs) return this.#expire(`No pong within ${pongTimeoutMs} ms`);
      return this.#arm(pongTimeoutMs - waited);
    }
    if (idle < intervalMs) return this.#arm(intervalMs - idle);
    this.#pingSentAt = now;
    this.send(encodeRequest('ping', this.#pingId, undefined));
    this.#arm(pongTimeoutMs);
  };

  /**
   * A deadline passed. After a stalled event loop, timers run before the I/O that piled up, so look once more
   * a tick later (after that I/O) before giving up on the connection.
   */
  #expire(reason: string): void {
    if (this.#graceUsed) return this.abort(reason);
    this.#graceUsed = true;
    this.#timer = setTimeout(this.#check, 1);
  }

  #arm(delayMs: number): void {
    this.#graceUsed = false;
    this.#timer = setTimeout(this.#check, Math.max(1, delayMs));
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
