// For tests only (exported through `@app/core/testing`): a loopback TCP proxy in front of the
// database, so a test can make it unreachable, stall it, or lose one reply, for one client only.
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface DbProxy {
  port: number;
  /** Stops listening and cuts every open connection: the target looks unreachable from then on. */
  cut(): Promise<void>;
  /** From now on, bytes from clients wait here instead of reaching the target (the target looks stalled). */
  hold(): void;
  /** Like `hold`, from the next client message containing `pattern` on (that message included). */
  holdFrom(pattern: Buffer): void;
  /** Passes on everything held, and everything from now on. */
  release(): void;
  /** Bytes from clients waiting while held. */
  readonly heldBytes: number;
  /**
   * The next client message containing `pattern` reaches the target, but its reply is withheld and
   * that connection is cut `holdMs` later (the target did the work; the client cannot know).
   * Resolves once it was cut. Other and later connections work as before.
   */
  cutAfter(pattern: Buffer, holdMs?: number): Promise<void>;
  /** The next client message containing `pattern` never reaches the target, and its connection is cut. */
  dropNext(pattern: Buffer): void;
  /** Cuts every connection and stops listening. */
  close(): Promise<void>;
}

export async function startDbProxy(target: { host: string; port: number }): Promise<DbProxy> {
  const sockets = new Set<Socket>();
  let held: { upstream: Socket; chunk: Buffer }[] | undefined;
  let heldBytes = 0;
  let armed: { pattern: Buffer; holdMs: number; done: () => void } | undefined;
  let holdPattern: Buffer | undefined;
  let dropPattern: Buffer | undefined;
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
      if (dropPattern !== undefined && chunk.includes(dropPattern)) {
        dropPattern = undefined;
        client.destroy();
        upstream.destroy();
        return;
      }
      if (holdPattern !== undefined && chunk.includes(holdPattern)) {
        holdPattern = undefined;
        held ??= [];
      }
      if (held !== undefined) {
        held.push({ upstream, chunk });
        heldBytes += chunk.length;
        return;
      }
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
  const close = async (): Promise<void> => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  return {
    port: (server.address() as AddressInfo).port,
    cut: close,
    close,
    hold() {
      held ??= [];
    },
    dropNext(pattern) {
      dropPattern = pattern;
    },
    holdFrom(pattern) {
      holdPattern = pattern;
    },
    release() {
      const waiting = held ?? [];
      held = undefined;
      heldBytes = 0;
      for (const { upstream, chunk } of waiting) upstream.write(chunk);
    },
    get heldBytes() {
      return heldBytes;
    },
    cutAfter(pattern, holdMs = 200) {
      return new Promise<void>((resolve) => {
        armed = { pattern, holdMs, done: resolve };
      });
    },
  };
}

/** The bytes of a BSON string field `key: value`, to find a command in the wire protocol (`bsonString('insert', 'events')`). */
export function bsonString(key: string, value: string): Buffer {
  const length = Buffer.alloc(4);
  length.writeInt32LE(Buffer.byteLength(value) + 1);
  return Buffer.concat([Buffer.from([0x02]), Buffer.from(`${key}\0`), length, Buffer.from(`${value}\0`)]);
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
