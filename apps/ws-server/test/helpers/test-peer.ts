import WebSocket from 'ws';

export type Frame = Record<string, unknown> & { type: string };

/** A raw-JSON peer that speaks the protocol by hand (never @app/client), for tests. */
export class TestPeer {
  readonly frames: Frame[] = [];
  readonly socket: WebSocket;
  private waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  private counter = 0;
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly opened: Promise<void>;

  constructor(url: string, options: WebSocket.ClientOptions = {}) {
    this.socket = new WebSocket(url, options);
    this.socket.on('error', () => {});
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
    });
    this.closed = new Promise((resolve) => {
      this.socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    this.socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      this.frames.push(frame);
      this.waiters = this.waiters.filter((waiter) => {
        if (!waiter.match(frame)) return true;
        waiter.resolve(frame);
        return false;
      });
    });
  }

  static async connect(url: string, options: WebSocket.ClientOptions = {}): Promise<TestPeer> {
    const peer = new TestPeer(url, options);
    await peer.opened;
    await peer.next((f) => f.type === 'hello');
    return peer;
  }

  /** The first frame (already received or future) that matches. */
  next(match: (frame: Frame) => boolean): Promise<Frame> {
    const seen = this.frames.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  /** The next frame that arrives from now on and matches. */
  nextNew(match: (frame: Frame) => boolean = () => true): Promise<Frame> {
    const from = this.frames.length;
    return this.next((frame) => this.frames.indexOf(frame) >= from && match(frame));
  }

  sendRaw(text: string | Buffer, options: { binary?: boolean } = {}): void {
    this.socket.send(text, { binary: options.binary ?? false });
  }

  /** Sends a request with a fresh id and resolves with its reply (ack, pong or error). */
  request(
    type: string,
    data?: unknown,
    id = `r${++this.counter}-${Math.random().toString(36).slice(2, 8)}`,
  ): Promise<Frame> {
    const reply = this.nextNew((f) => (f.type === 'ack' || f.type === 'error' || f.type === 'pong') && f['id'] === id);
    this.socket.send(JSON.stringify(data === undefined ? { type, id } : { type, id, data }));
    return reply;
  }

  /** Like request, but fails unless the reply is an ack/pong; resolves with its data. */
  async ok<T = Record<string, unknown>>(type: string, data?: unknown, id?: string): Promise<T> {
    const reply = await this.request(type, data, id);
    if (reply.type === 'error') throw new Error(`${type} failed: ${JSON.stringify(reply)}`);
    return reply['data'] as T;
  }

  /** Events of a project received so far. */
  events(projectId?: string): Frame[] {
    return this.frames.filter(
      (f) => typeof f['seq'] === 'number' && (projectId === undefined || f['projectId'] === projectId),
    );
  }

  /** Resolves once an event with this seq (of the project) has arrived. */
  eventWithSeq(projectId: string, seq: number): Promise<Frame> {
    return this.next((f) => f['projectId'] === projectId && f['seq'] === seq);
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING)
      this.socket.close();
    return this.closed;
  }
}
