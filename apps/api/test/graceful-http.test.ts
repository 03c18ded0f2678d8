import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createGracefulHttpServer } from '../src/graceful-http.js';

/** A server whose `/hold` requests wait until the test releases them; anything else answers at once. */
async function holdingServer() {
  const held: (() => void)[] = [];
  let arrived: () => void = () => {};
  const http = createGracefulHttpServer((req, res) => {
    if (req.url !== '/hold') return void res.end('quick');
    held.push(() => res.end('held'));
    arrived();
  });
  http.server.listen(0, '127.0.0.1');
  await new Promise((resolve) => http.server.once('listening', resolve));
  const { port } = http.server.address() as AddressInfo;
  return { http, held, port, nextArrival: () => new Promise<void>((resolve) => (arrived = resolve)) };
}

function get(port: number, path: string): Promise<{ res: IncomingMessage; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, agent: false, headers: { connection: 'keep-alive' } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ res, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('createGracefulHttpServer', () => {
  it('on close: refuses new connections, answers the request in flight (closing its connection), then resolves', async () => {
    const { http, held, port, nextArrival } = await holdingServer();
    const arrival = nextArrival();
    const inFlight = get(port, '/hold');
    await arrival;
    let closed = false;
    const closing = http.close(10_000).then(() => (closed = true));
    await expect(get(port, '/quick')).rejects.toThrow(/ECONNREFUSED/);
    expect(closed).toBe(false);
    held.shift()!();
    const { res, body } = await inFlight;
    expect(res.statusCode).toBe(200);
    expect(body).toBe('held');
    expect(res.headers.connection).toBe('close'); // keep-alive cannot hold the drain open
    await closing;
    expect(closed).toBe(true);
  });

  it('destroys what is still in flight after the timeout', async () => {
    const { http, port, nextArrival } = await holdingServer();
    const arrival = nextArrival();
    const inFlight = get(port, '/hold').catch((error: Error) => error);
    await arrival;
    await http.close(50);
    expect(await inFlight).toMatchObject({ code: 'ECONNRESET' });
  });
});
