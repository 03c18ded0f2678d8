import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface HoldingProxy {
  port: number;
  /** Bytes from clients waiting while held. */
  readonly heldBytes: number;
  /** From now on, bytes from clients wait here instead of reaching the target (the target looks stalled). */
  hold(): void;
  /** Passes on everything held, and everything from now on. */
  release(): void;
  close(): Promise<void>;
}

/** A loopback TCP proxy to `target` that can stall the client-to-target direction, so a request stays in flight. */
export async function startHoldingProxy(target: { host: string; port: number }): Promise<HoldingProxy> {
  const sockets = new Set<Socket>();
  let held: { upstream: Socket; chunk: Buffer }[] | undefined;
  let heldBytes = 0;
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('data', (chunk: Buffer) => {
      if (held === undefined) upstream.write(chunk);
      else {
        held.push({ upstream, chunk });
        heldBytes += chunk.length;
      }
    });
    upstream.pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    get heldBytes() {
      return heldBytes;
    },
    hold() {
      held ??= [];
    },
    release() {
      const waiting = held ?? [];
      held = undefined;
      heldBytes = 0;
      for (const { upstream, chunk } of waiting) upstream.write(chunk);
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/** host and port of a single-host `mongodb://` URI, or undefined for anything else (SRV, replica-set lists). */
export function singleHostOf(uri: string): { host: string; port: number } | undefined {
  const match = /^mongodb:\/\/(?:[^@/]*@)?([^/,:?]+)(?::(\d+))?(?:[/?]|$)/.exec(uri);
  if (match === null || match[1] === undefined) return undefined;
  return { host: match[1], port: Number(match[2] ?? 27017) };
}

/** `uri` with its host replaced by 127.0.0.1:port (direct connection, so the driver does not bypass the proxy). */
export function viaPort(uri: string, port: number): string {
  const replaced = uri.replace(/^mongodb:\/\/((?:[^@/]*@)?)[^/,?]+/, `mongodb://$1127.0.0.1:${port}`);
  const [base = replaced, query] = replaced.split('?');
  const path = /^mongodb:\/\/[^/]+\//.test(base) ? base : `${base}/`;
  return `${path}?${query ? `${query}&` : ''}directConnection=true`;
}
