import { ProtocolError } from '@app/protocol';
import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { createLogger } from '../src/logger.js';
import { logRequestError } from '../src/request-error-log.js';

/** A real logger (JSON lines, debug and up) whose lines the test reads. */
function capture() {
  const lines: { level: string; message: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line));
      callback();
    },
  });
  return { logger: createLogger({ format: 'json', level: 'debug', stream }), lines };
}

describe('logRequestError', () => {
  it('logs an expected client error at debug, with the answer as the client saw it', async () => {
    const { logger, lines } = capture();
    const refusal = new ProtocolError('CONFLICT', 'stale');
    logRequestError(logger, {
      where: 'GET /x',
      code: 'CONFLICT',
      message: 'stale',
      thrown: refusal,
      answer: '409 CONFLICT',
    });
    logRequestError(logger, {
      where: 'workspace.update (session s)',
      code: 'NOT_FOUND',
      message: 'gone',
      thrown: refusal,
    });
    await vi.waitFor(() => expect(lines).toHaveLength(2));
    expect(lines).toEqual([
      expect.objectContaining({ level: 'debug', message: 'GET /x: 409 CONFLICT' }),
      expect.objectContaining({ level: 'debug', message: 'workspace.update (session s): NOT_FOUND' }),
    ]);
  });

  it('logs UNAVAILABLE at warn with the message the client got, not the cause', async () => {
    const { logger, lines } = capture();
    const down = new ProtocolError('UNAVAILABLE', 'Storage is temporarily unavailable; retry later', {
      cause: new Error('connect ECONNREFUSED 10.0.0.9:27017'),
    });
    logRequestError(logger, {
      where: 'subscribe (session s)',
      code: 'UNAVAILABLE',
      message: down.message,
      thrown: down,
    });
    await vi.waitFor(() => expect(lines).toHaveLength(1));
    expect(lines[0]).toMatchObject({
      level: 'warn',
      message: 'subscribe (session s): Storage is temporarily unavailable; retry later',
    });
  });

  it('logs an unexpected error once at error with the stack of its cause, and no password', async () => {
    const { logger, lines } = capture();
    const cause = new TypeError('cannot read mongodb://admin:s3cret@db.internal/x');
    logRequestError(logger, {
      where: 'workspace.create (session s)',
      code: 'INTERNAL',
      message: 'Internal error',
      thrown: new ProtocolError('INTERNAL', 'wrapped', { cause }),
    });
    logRequestError(logger, { where: 'GET /y', code: 'INTERNAL', message: 'Internal error', thrown: { odd: true } });
    await vi.waitFor(() => expect(lines).toHaveLength(2));
    expect(lines.map((line) => line.level)).toEqual(['error', 'error']);
    expect(lines[0]!.message).toMatch(
      /^workspace\.create \(session s\) failed: TypeError: cannot read mongodb:\/\/admin:/,
    );
    expect(lines[0]!.message).toMatch(/\n\s+at /);
    expect(lines[0]!.message).not.toContain('s3cret');
    expect(lines[1]!.message).toBe('GET /y failed: {"odd":true}');
  });
});
