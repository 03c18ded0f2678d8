import { randomBytes } from 'node:crypto';
import net from 'node:net';

/** A masked client text frame (RFC 6455) for writing on a raw socket. */
export function textFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = randomBytes(4);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
  let header: Buffer;
  if (payload.length < 126) header = Buffer.from([0x81, 0x80 | payload.length]);
  else if (payload.length < 65_536)
    header = Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  else throw new Error('frame too large for this helper');
  return Buffer.concat([header, mask, masked]);
}

/**
 * A WebSocket client on a bare TCP socket, with no library that would resume reading on its own:
 * it completes the handshake, sends the given frames, then stops reading (a slow consumer).
 */
export async function pausedClient(url: string, frames: string[]): Promise<net.Socket> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(
    `GET / HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  await new Promise<void>((resolve) => {
    let seen = '';
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString('latin1');
      if (!seen.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      socket.pause();
      resolve();
    };
    socket.on('data', onData);
  });
  for (const frame of frames) socket.write(textFrame(frame));
  return socket;
}
