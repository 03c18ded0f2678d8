import type { IncomingMessage } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

/** A JSON frame as received from the client. */
export type Frame = { type: string; id?: string; data?: any };

export interface HelloOverrides {
  sessionId?: string;
  heartbeatMs?: number;
  maxMessageBytes?: number;
}

/** One client connection, seen from the server side. */
export class StubPeer {
  readonly socket: WebSocket;
  /** Path and query of the upgrade request (e.g. `/?access_token=...`). */
  readonly path: string;
  /** Every frame received, in order. */
  readonly received: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #unread: Frame[] = [];
  #waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];

  constructor(socket: WebSocket, request: IncomingMessage) {
    this.socket = socket;
    this.path = request.url ?? '';
    this.closed = new Promise((resolve) =>
      socket.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
    );
    socket.on('message', (raw) => {
      const frame = JSON.parse(String(raw)) as Frame;
      this.received.push(frame);
      const waiter = this.#waiters.find((w) => w.match(frame));
      if (waiter === undefined) return void this.#unread.push(frame);
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      waiter.resolve(frame);
    });
  }

  /** The first unread frame matching (by type, or a predicate), waiting for it if needed. */
  take(match: string | ((frame: Frame) => boolean) = () => true): Promise<Frame> {
    const test = typeof match === 'string' ? (f: Frame) => f.type === match : match;
    const index = this.#unread.findIndex(test);
    if (index >= 0) return Promise.resolve(this.#unread.splice(index, 1)[0]!);
    return new Promise((resolve) => this.#waiters.push({ match: test, resolve }));
  }

  send(frame: unknown): void {
    this.socket.send(JSON.stringify(frame));
  }

  hello(overrides: HelloOverrides = {}): void {
    this.send({
      type: 'hello',
      data: { protocol: 1, sessionId: 'session-1', heartbeatMs: 60_000, maxMessageBytes: 1_048_576, ...overrides },
    });
  }

  ack(id: string | undefined, data: unknown): void {
    this.send({ type: 'ack', id, data });
  }

  error(id: string | undefined, code: string, message: string, details?: Record<string, unknown>): void {
    this.send({ type: 'error', id, code, message, details });
  }

  close(code: number, reason = ''): Promise<{ code: number; reason: string }> {
    this.socket.close(code, reason);
    return this.closed;
  }

  /** Drops the TCP connection without a closing handshake (the client sees 1006). */
  drop(): Promise<{ code: number; reason: string }> {
    this.socket.terminate();
    return this.closed;
  }
}

export interface StubServerOptions {
  /** Send `hello` on every connection (default true), with these fields. */
  hello?: false | HelloOverrides;
  /** Refuse every upgrade with this HTTP status. */
  refuseWithStatus?: number;
  /** Called for every new peer (after the automatic hello). */
  onPeer?: (peer: StubPeer) => void;
}

export interface StubServer {
  url: string;
  port: number;
  /** Every peer so far, in connection order. */
  peers: StubPeer[];
  /** Resolves with the n-th peer (0-based), waiting for it if needed. */
  peer(index: number): Promise<StubPeer>;
  close(): Promise<void>;
}

/** A raw `ws` server on 127.0.0.1, port 0, that does only what the test tells it. */
export async function startStubServer(options: StubServerOptions = {}): Promise<StubServer> {
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    ...(options.refuseWithStatus === undefined
      ? {}
      : {
          verifyClient: (_info: unknown, done: (ok: boolean, status?: number) => void) =>
            done(false, options.refuseWithStatus),
        }),
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const peers: StubPeer[] = [];
  const waiters = new Map<number, ((peer: StubPeer) => void)[]>();
  wss.on('connection', (socket, request) => {
    const peer = new StubPeer(socket, request);
    peers.push(peer);
    if (options.hello !== false) peer.hello(options.hello ?? {});
    options.onPeer?.(peer);
    for (const resolve of waiters.get(peers.length - 1) ?? []) resolve(peer);
  });
  const { port } = wss.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}/`,
    port,
    peers,
    peer: (index) =>
      peers[index] !== undefined
        ? Promise.resolve(peers[index])
        : new Promise((resolve) => waiters.set(index, [...(waiters.get(index) ?? []), resolve])),
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** A valid workspace as the server would send it. */
export function workspace(id: string, projectId = 'p1', position = 0, version = 1) {
  const at = '2026-01-01T00:00:00.000Z';
  return { id, projectId, name: `Workspace ${id}`, position, version, data: {}, createdAt: at, updatedAt: at };
}

/** A `workspace.created` event. */
export function created(seq: number, id: string, projectId = 'p1') {
  return { type: 'workspace.created', projectId, seq, data: { workspace: workspace(id, projectId) } };
}
