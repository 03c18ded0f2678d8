// The load generator's connection: one thin client for the three servers, so the generator spends
// the same CPU per event whichever server it measures. Ours and the raw ws baseline speak JSON
// {type, id, data}; for Socket.IO this speaks Engine.IO v4 / Socket.IO v5 packets directly over a
// websocket (open "0", connect "40", event "42", ack "43<id>", ping "2" -> pong "3"). Events are
// counted without parsing their JSON: only the `sentAt` number is read out of the frame.
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { SENT_AT_KEY, extractNumber, type ServerKind } from './common.js';

/** Called per event; `frame` is there to read more fields (e.g. updateNo) when needed. */
export type EventSink = (sentAt: number, frame: Buffer) => void;

interface Pending {
  resolve(data: unknown): void;
  reject(error: Error): void;
}

const JSON_EVENT_PREFIX = Buffer.from('{"type":"workspace.');
const CHAR_0 = 48;
const CHAR_2 = 50;
const CHAR_3 = 51;
const CHAR_4 = 52;

export class RequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export class BenchClient {
  closedByUs = false;
  private readonly pending = new Map<string, Pending>();
  private nextId = 1;
  /** Request ids are unique across connections and processes: ours remembers them for idempotency. */
  private readonly idPrefix = randomBytes(6).toString('hex');
  private ready: { resolve(): void; reject(error: Error): void } | undefined;

  private constructor(
    readonly ws: WebSocket,
    readonly kind: ServerKind,
    private readonly sink: EventSink | undefined,
  ) {}

  /** Opens a connection and resolves once the server's hello (or the Socket.IO connect) arrived. */
  static connect(
    url: string,
    kind: ServerKind,
    options: { timeoutMs: number; sink?: EventSink | undefined },
  ): Promise<BenchClient> {
    const target = kind === 'sio' ? `${url.replace(/\/$/, '')}/socket.io/?EIO=4&transport=websocket` : url;
    const ws = new WebSocket(target, { perMessageDeflate: false, handshakeTimeout: options.timeoutMs });
    const client = new BenchClient(ws, kind, options.sink);
    return new Promise<BenchClient>((resolve, reject) => {
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`connect timeout after ${options.timeoutMs} ms`));
      }, options.timeoutMs);
      client.ready = {
        resolve: () => {
          clearTimeout(timer);
          resolve(client);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      ws.on('message', (data: Buffer, isBinary) => {
        if (!isBinary) client.onFrame(data);
      });
      ws.on('error', (error) => client.ready?.reject(error));
      ws.on('close', (code) => {
        client.ready?.reject(new Error(`closed (${code}) before ready`));
        for (const pending of client.pending.values()) pending.reject(new Error(`connection closed (${code})`));
        client.pending.clear();
      });
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends a request and resolves with its ack (or pong) data; rejects on an error reply or after `timeoutMs`. */
  request(type: string, data: unknown, timeoutMs = 120_000): Promise<unknown> {
    // Socket.IO ack ids are numeric and per connection; ours needs ids unique across connections.
    const id = this.kind === 'sio' ? String(this.nextId++) : `${this.idPrefix}-${this.nextId++}`;
    return new Promise((resolve, reject) => {
      if (!this.isOpen) {
        reject(new Error('connection not open'));
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${type}: no reply in ${Math.round(timeoutMs)} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      const frame = this.kind === 'sio' ? `42${id}${JSON.stringify([type, data])}` : JSON.stringify({ type, id, data });
      this.ws.send(frame);
    });
  }

  /** Closes gracefully; resolves when closed or after `timeoutMs` (then terminates). */
  close(timeoutMs = 5_000): Promise<void> {
    this.closedByUs = true;
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.ws.terminate();
        resolve();
      }, timeoutMs);
      this.ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
      else this.ws.close(1000);
    });
  }

  private onFrame(frame: Buffer): void {
    if (this.kind === 'sio') this.onSocketIoFrame(frame);
    else this.onJsonFrame(frame);
  }

  private onEvent(frame: Buffer): void {
    const sentAt = extractNumber(frame, SENT_AT_KEY);
    if (Number.isNaN(sentAt)) return;
    this.sink?.(sentAt, frame);
  }

  private onJsonFrame(frame: Buffer): void {
    if (
      frame.length > JSON_EVENT_PREFIX.length &&
      frame.compare(JSON_EVENT_PREFIX, 0, JSON_EVENT_PREFIX.length, 0, JSON_EVENT_PREFIX.length) === 0
    ) {
      this.onEvent(frame);
      return;
    }
    const message = JSON.parse(frame.toString()) as {
      type: string;
      id?: string;
      data?: unknown;
      code?: string;
      message?: string;
      seq?: number;
    };
    if (message.type === 'hello') {
      this.ready?.resolve();
      this.ready = undefined;
      return;
    }
    const pending = message.id === undefined ? undefined : this.pending.get(message.id);
    if (pending !== undefined) {
      this.pending.delete(message.id!);
      if (message.type === 'error') pending.reject(new RequestError(message.code ?? 'ERROR', message.message ?? ''));
      else pending.resolve(message.data);
      return;
    }
    if (message.seq !== undefined) this.onEvent(frame);
  }

  private onSocketIoFrame(frame: Buffer): void {
    const first = frame[0];
    if (first === CHAR_2 && frame.length === 1) {
      this.ws.send('3'); // Engine.IO ping -> pong
      return;
    }
    if (first === CHAR_0) {
      this.ws.send('40'); // Engine.IO open -> Socket.IO connect to "/"
      return;
    }
    if (first !== CHAR_4) return;
    const second = frame[1];
    if (second === CHAR_2) {
      this.onEvent(frame);
    } else if (second === CHAR_3) {
      const text = frame.toString();
      const bracket = text.indexOf('[');
      const id = text.slice(2, bracket);
      const pending = this.pending.get(id);
      if (pending === undefined) return;
      this.pending.delete(id);
      const [reply] = JSON.parse(text.slice(bracket)) as [{ error?: { code: string; message: string } } | undefined];
      if (
        reply !== undefined &&
        reply !== null &&
        typeof reply === 'object' &&
        'error' in reply &&
        reply.error !== undefined
      ) {
        pending.reject(new RequestError(reply.error.code, reply.error.message));
      } else {
        pending.resolve(reply);
      }
    } else if (second === CHAR_0) {
      this.ready?.resolve();
      this.ready = undefined;
    } else if (second === CHAR_4) {
      this.ready?.reject(new Error(`Socket.IO connect refused: ${frame.toString()}`));
    }
  }
}
