import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Stops listening and cuts every open connection: the target looks unreachable from then on. */
  cut(): Promise<void>;
}

/** A loopback TCP proxy to `target`, so a test can make the database unreachable for one client only. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    async cut() {
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
