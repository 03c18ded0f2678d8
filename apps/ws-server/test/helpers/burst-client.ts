import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { Frame } from './test-peer.js';

/** A masked client text frame (RFC 6455) of any length. */
function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = randomBytes(4);
  for (let i = 0; i < payload.length; i += 1) payload[i] = payload[i]! ^ mask[i % 4]!;
  let header: Buffer;
  if (payload.length < 126) header = Buffer.from([0x81, 0x80 | payload.length]);
  else if (payload.length < 65_536)
    header = Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  else {
    header = Buffer.alloc(10);
    header[0] = 0x81;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  return Buffer.concat([header, mask, payload]);
}

/**
 * A WebSocket client on a bare TCP socket that writes many frames with one `write` (so the server
 * reads them in one go, as a burst) and collects the server's text frames.
 */
export class BurstClient {
  readonly frames: Frame[] = [];
  private buffered = Buffer.alloc(0);
  private waiters: { match: (frames: Frame[]) => boolean; resolve: () => void }[] = [];

  private constructor(private readonly socket: net.Socket) {}

  static async connect(url: string): Promise<BurstClient> {
    const { hostname, port } = new URL(url);
    const socket = net.connect(Number(port), hostname);
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      `GET / HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    const client = new BurstClient(socket);
    await new Promise<void>((resolve) => {
      let seen = Buffer.alloc(0);
      const onData = (chunk: Buffer): void => {
        seen = Buffer.concat([seen, chunk]);
        const end = seen.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        socket.on('data', (more: Buffer) => client.read(more));
        client.read(seen.subarray(end + 4));
        resolve();
      };
      socket.on('data', onData);
    });
    await client.until((frames) => frames.some((f) => f.type === 'hello'));
    return client;
  }

  /** Writes every frame with one socket write. */
  send(frames: unknown[]): void {
    this.socket.write(
      Buffer.concat(frames.map((frame) => maskedTextFrame(typeof frame === 'string' ? frame : JSON.stringify(frame)))),
    );
  }

  /** Resolves once the frames received so far satisfy `match`. */
  until(match: (frames: Frame[]) => boolean): Promise<void> {
    if (match(this.frames)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  /** The replies (ack or error) to these request ids, once every one has come, in the order of the ids. */
  async replies(ids: string[]): Promise<Frame[]> {
    const wanted = new Set(ids);
    const replyOf = (frames: Frame[]): Map<string, Frame> => {
      const out = new Map<string, Frame>();
      for (const f of frames)
        if ((f.type === 'ack' || f.type === 'error') && wanted.has(f['id'] as string)) out.set(f['id'] as string, f);
      return out;
    };
    await this.until((frames) => replyOf(frames).size === wanted.size);
    const byId = replyOf(this.frames);
    return ids.map((id) => byId.get(id)!);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end(Buffer.from([0x88, 0x80, 0, 0, 0, 0]));
      this.socket.destroySoon();
    });
  }

  private read(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    for (;;) {
      if (this.buffered.length < 2) break;
      const opcode = this.buffered[0]! & 0x0f;
      let length = this.buffered[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.buffered.length < 4) break;
        length = this.buffered.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.buffered.length < 10) break;
        length = Number(this.buffered.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.buffered.length < offset + length) break;
      const payload = this.buffered.subarray(offset, offset + length);
      this.buffered = this.buffered.subarray(offset + length);
      if (opcode === 0x1) this.frames.push(JSON.parse(payload.toString('utf8')) as Frame);
    }
    this.waiters = this.waiters.filter((waiter) => {
      if (!waiter.match(this.frames)) return true;
      waiter.resolve();
      return false;
    });
  }
}
