import { PassThrough } from 'node:stream';
import express from 'express';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@app/core';
import { ERROR_CODE_LIST, ProtocolError, type ErrorCode } from '@app/protocol';
import { HTTP_STATUS, createErrorHandler, notFoundHandler, toHttpError } from '../src/index.js';
import { expectNoLeak, request } from './helpers/start-api.js';

const EXPECTED: Record<ErrorCode, number> = {
  INVALID_JSON: 400,
  INVALID_MESSAGE: 400,
  UNKNOWN_TYPE: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
  PROJECT_LIMIT: 409,
  UNAVAILABLE: 503,
  PROVIDER_ERROR: 502,
  INTERNAL: 500,
};

/** A logger whose JSON lines a test can read. */
function captureLogger() {
  const stream = new PassThrough();
  const lines: { level: string; message: string }[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line));
  });
  const logger = createLogger({ format: 'json', level: 'debug', stream });
  /** Resolves once a line at `level` has arrived. */
  const next = (level: string) =>
    new Promise<{ level: string; message: string }>((resolve) => {
      const check = () => {
        const found = lines.find((line) => line.level === level);
        if (found === undefined) return;
        stream.off('data', check);
        resolve(found);
      };
      stream.on('data', check);
      check();
    });
  return { logger, lines, next };
}

/** A tiny app whose routes throw what the test says, behind the real error handler. */
async function throwingServer(logger: ReturnType<typeof createLogger>, errors: Record<string, () => unknown>) {
  const app = express();
  for (const [path, make] of Object.entries(errors)) {
    app.get(`/${path}`, async () => {
      throw make();
    });
  }
  app.use(notFoundHandler);
  app.use(createErrorHandler(logger));
  const server = createServer(app).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return { url, [Symbol.asyncDispose]: close };
}

describe('error handler', () => {
  it('maps every protocol error code to its HTTP status', () => {
    expect(HTTP_STATUS).toEqual(EXPECTED);
    for (const code of ERROR_CODE_LIST) {
      expect(toHttpError(new ProtocolError(code, 'm')).status).toBe(EXPECTED[code]);
    }
  });

  it.each(ERROR_CODE_LIST.filter((code) => code !== 'INTERNAL'))(
    'answers %s over HTTP with code, message and details',
    async (code) => {
      const { logger } = captureLogger();
      await using server = await throwingServer(logger, {
        boom: () => new ProtocolError(code, `a ${code} happened`, { details: { retryAfterMs: 5 } }),
      });
      const res = await request(`${server.url}/boom`);
      expect(res.status).toBe(EXPECTED[code]);
      expect(res.body).toEqual({ code, message: `a ${code} happened`, details: { retryAfterMs: 5 } });
    },
  );

  it('answers INTERNAL 500 with a generic message and logs the cause once, with its stack', async () => {
    const { logger, lines, next } = captureLogger();
    const secret = 'mongodb://admin:s3cret@db.internal:27017';
    await using server = await throwingServer(logger, {
      plain: () => new Error(`connect to ${secret} failed`),
      wrapped: () => new ProtocolError('INTERNAL', `wrapped ${secret}`, { cause: new TypeError('cause detail') }),
      thrownString: () => 'just a string',
    });
    const logged = next('error');
    const res = await request(`${server.url}/plain`);
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ code: 'INTERNAL', message: 'Internal error' });
    expect(res.text).not.toContain('s3cret');
    expect(res.text).not.toContain('db.internal');
    expectNoLeak(res.text);
    const line = await logged;
    expect(line.message).toContain('GET /plain failed: Error: connect to');
    expect(line.message).toMatch(/\n\s+at /); // the stack goes to the log
    expect(line.message).not.toContain('s3cret'); // and the logger redacts the password

    const wrapped = await request(`${server.url}/wrapped`);
    expect(wrapped.body).toEqual({ code: 'INTERNAL', message: 'Internal error' });
    const thrown = await request(`${server.url}/thrownString`);
    expect(thrown.body).toEqual({ code: 'INTERNAL', message: 'Internal error' });
    // A later request's 404 is logged at debug; once it arrives every earlier line is in.
    await request(`${server.url}/missing`);
    await next('debug');
    const errors = lines.filter((l) => l.level === 'error');
    expect(errors.map((l) => l.message.split('\n')[0])).toEqual([
      expect.stringContaining('GET /plain failed'),
      'GET /wrapped failed: TypeError: cause detail',
      'GET /thrownString failed: "just a string"',
    ]);
  });

  it('logs UNAVAILABLE at warn and client errors at debug, never at error', async () => {
    const { logger, lines, next } = captureLogger();
    await using server = await throwingServer(logger, {
      down: () =>
        new ProtocolError('UNAVAILABLE', 'Storage is temporarily unavailable; retry later', { cause: new Error('x') }),
      conflict: () => new ProtocolError('CONFLICT', 'stale'),
    });
    const warned = next('warn');
    expect((await request(`${server.url}/down`)).status).toBe(503);
    expect((await warned).message).toBe('GET /down: Storage is temporarily unavailable; retry later');
    const debugged = next('debug');
    expect((await request(`${server.url}/conflict`)).status).toBe(409);
    expect((await debugged).message).toBe('GET /conflict: 409 CONFLICT');
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('maps body-parser and router errors without exposing their text', () => {
    const parse = Object.assign(new SyntaxError('Unexpected token } in JSON at position 7'), {
      status: 400,
      expose: true,
      type: 'entity.parse.failed',
      body: '{"a":}',
    });
    expect(toHttpError(parse)).toEqual({
      status: 400,
      body: { code: 'INVALID_JSON', message: 'Request body is not valid JSON' },
    });
    const large = Object.assign(new Error('request entity too large'), {
      status: 413,
      expose: true,
      type: 'entity.too.large',
    });
    expect(toHttpError(large)).toEqual({
      status: 413,
      body: { code: 'INVALID_MESSAGE', message: 'Request body is too large' },
    });
    const uri = Object.assign(new URIError("Failed to decode param '%E0'"), { status: 400 });
    expect(toHttpError(uri)).toEqual({
      status: 400,
      body: { code: 'INVALID_MESSAGE', message: 'Malformed percent-encoding in the URL' },
    });
    const server = Object.assign(new Error('stream encoding should not be set'), {
      status: 500,
      expose: false,
      type: 'stream.encoding.set',
    });
    expect(toHttpError(server)).toEqual({ status: 500, body: { code: 'INTERNAL', message: 'Internal error' } });
  });
});
