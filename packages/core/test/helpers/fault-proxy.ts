import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface FaultProxy {
  /** `mongodb://127.0.0.1:<port>/?directConnection=true`: the database through this proxy. */
  uri: string;
  /**
   * Arms a fault: the next client message containing `pattern` is passed on to the database, its
   * reply is withheld, and that connection is cut shortly after (the database did the work; the
   * client cannot know). Resolves once the connection was cut. Later connections work as before.
   */
  cutAfter(pattern: Buffer, holdMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** The bytes of a BSON string field `key: value`, to find a command in the wire protocol. */
export function bsonString(key: string, value: string): Buffer {
  const length = Buffer.alloc(4);
  length.writeInt32LE(Buffer.byteLength(value) + 1);
  return Buffer.concat([Buffer.from([0x02]), Buffer.from(`${key}\0`), length, Buffer.from(`${value}\0`)]);
}

/** A loopback TCP proxy to a MongoDB-compatible server that can lose one reply on purpose. */
export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const sockets = new Set<Socket>();
  let armed: { pattern: Buffer; holdMs: number; done: () => void } | undefined;
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    let withholding = false;
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      const fault = armed;
      if (fault === undefined || !chunk.includes(fault.pattern)) return;
      armed = undefined;
      withholding = true;
      setTimeout(() => {
        client.destroy();
        upstream.destroy();
        fault.done();
      }, fault.holdMs);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!withholding) client.write(chunk);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    uri: `mongodb://127.0.0.1:${port}/?directConnection=true`,
    cutAfter(pattern, holdMs = 200) {
      return new Promise<void>((resolve) => {
        armed = { pattern, holdMs, done: resolve };
      });
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/** host and port of a single-host `mongodb://` URI. */
export function hostOf(uri: string): { host: string; port: number } {
  const match = /^mongodb:\/\/(?:[^@/]*@)?([^/,:?]+)(?::(\d+))?/.exec(uri);
  if (match === null || match[1] === undefined) throw new Error(`not a single-host URI: ${uri}`);
  return { host: match[1], port: Number(match[2] ?? 27017) };
}
