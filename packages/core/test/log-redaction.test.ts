// Tokens in logged URLs and messages are redacted in every spelling a server would still read as a token:
// percent-encoded names (once or twice, either case), encoded `=`, JSON and header forms, in real logger lines.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redact } from '../src/logger.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg';

function lines(format: 'pretty' | 'json'): { logger: ReturnType<typeof createLogger>; out: string[] } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      out.push(chunk.toString().trimEnd());
      callback();
    },
  });
  return { logger: createLogger({ stream, format, level: 'debug' }), out };
}

const SPELLINGS = [
  `GET /api/projects/p/workspaces?access_token=${JWT}&x=1`,
  `GET /api/projects/p/workspaces?access%5Ftoken=${JWT}`,
  `GET /api/projects/p/workspaces?access%5ftoken=${JWT}`,
  `GET /?ACCESS_TOKEN=${JWT}`,
  `GET /?Access%5FToken=${JWT}`,
  `GET /?%61ccess%5Ftoken=${JWT}`,
  `GET /?access%255Ftoken=${JWT}`,
  `next=%2Fapp%3Faccess_token%3D${JWT}%26x%3D1`,
  `next=%2Fapp%3Faccess%5Ftoken%3D${JWT}`,
  `{"access_token":"${JWT}"}`,
  `headers {"authorization":"Bearer ${JWT}"}`,
  `authorization%3A%20Bearer%20${JWT}`,
];

describe('log redaction', () => {
  it.each(SPELLINGS)('removes the token from %s', (text) => {
    expect(redact(text)).not.toContain(JWT.slice(0, 12));
    expect(redact(text)).not.toContain(JWT.slice(-12));
    expect(redact(text)).toContain('[redacted]');
  });

  it('keeps what follows an encoded token and what is not one', () => {
    expect(redact(`next=%2Fapp%3Faccess_token%3D${JWT}%26x%3D1`)).toBe(
      'next=%2Fapp%3Faccess_token%3D[redacted]%26x%3D1',
    );
    expect(redact('GET /api/projects/p/workspaces?limit=10&access=1&token_type=x')).toBe(
      'GET /api/projects/p/workspaces?limit=10&access=1&token_type=x',
    );
  });

  it.each(['pretty', 'json'] as const)('leaves no token in a real %s logger line, message or field', (format) => {
    const { logger, out } = lines(format);
    logger.warn(`Request failed: GET /api/projects/p/workspaces?access%5Ftoken=${JWT} answered 503`, {
      where: `GET /videos/j.mp4?ACCESS%5fTOKEN=${JWT}`,
    });
    logger.debug(`upgrade GET /?access%255Ftoken=${JWT}&v=1`);
    expect(out).toHaveLength(2);
    expect(out.join('\n')).not.toContain(JWT.slice(0, 12));
    expect(out.join('\n')).not.toContain(JWT.slice(-12));
  });
});
