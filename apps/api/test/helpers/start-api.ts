import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '@app/core/testing';
import { createApi, type ApiOptions } from '../../src/index.js';

export interface StartedApi {
  url: string;
  port: number;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** `createApi` on a real HTTP server on 127.0.0.1, port 0. */
export async function startApi(
  options: Omit<ApiOptions, 'logger'> & Partial<Pick<ApiOptions, 'logger'>>,
): Promise<StartedApi> {
  const server = createServer(createApi({ ...options, logger: options.logger ?? silentLogger() }));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const close = async (): Promise<void> => {
    if (!server.listening) return;
    const closed = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    server.closeAllConnections();
    await closed;
  };
  return { url: `http://127.0.0.1:${port}`, port, close, [Symbol.asyncDispose]: close };
}

/** JSON request helper: returns status, headers and parsed body. */
export async function request(
  url: string,
  init: { method?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: any; text: string }> {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined;
  if (init.rawBody !== undefined) body = init.rawBody;
  else if (init.body !== undefined) body = JSON.stringify(init.body);
  if (body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, { method: init.method ?? 'GET', headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/** Fails if an error response carries anything that looks like a stack trace or a source path. */
export function expectNoLeak(text: string): void {
  if (/\bat .+\(.*:\d+:\d+\)|\n\s+at |node_modules|\/src\/|\.ts:\d+|stack/i.test(text)) {
    throw new Error(`response leaks internals: ${text.slice(0, 500)}`);
  }
}
