import { describe, expect, it } from 'vitest';
import { DEFAULT_JSON_LIMITS } from '@app/protocol';
import { ConfigError, dataLimitsFromConfig, loadConfig } from '../src/config.js';
import { createLogger, redact } from '../src/logger.js';
import { Writable } from 'node:stream';

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({ AUTH_MODE: 'none' });
    expect(config).toMatchObject({
      PORT: 3000,
      WS_PORT: 3001,
      HOST: '127.0.0.1',
      HEARTBEAT_MS: 30_000,
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'pretty',
      DATA_DIR: '.data',
      MAX_MESSAGE_BYTES: 1_048_576,
    });
    expect(config.MONGODB_URI).toBeUndefined();
    expect(loadConfig({ NODE_ENV: 'production', AUTH_JWT_SECRET: 's'.repeat(32) }).LOG_FORMAT).toBe('json');
  });

  it.each([
    ['PORT', 'abc'],
    ['WS_PORT', '70000'],
    ['HEARTBEAT_MS', '0'],
    ['LOG_LEVEL', 'loud'],
    ['LOG_FORMAT', 'xml'],
    ['MONGODB_URI', 'http://example'],
    ['MAX_MESSAGE_BYTES', '12'],
  ])('refuses %s=%s with a message naming the variable but not the value', (name, value) => {
    let error: unknown;
    try {
      loadConfig({ AUTH_MODE: 'none', [name]: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(name);
    if (value.length > 3) expect((error as Error).message).not.toContain(value);
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ AUTH_MODE: 'none', MONGODB_URI: '', REDIS_URL: ' ' }).MONGODB_URI).toBeUndefined();
  });

  it('requires an authentication setting, and refuses AUTH_MODE=none in production', () => {
    expect(() => loadConfig({})).toThrow(/AUTH_JWT_SECRET.*AUTH_MODE=none/s);
    expect(() => loadConfig({ AUTH_MODE: 'jwt' })).toThrow(/AUTH_MODE/);
    expect(() => loadConfig({ AUTH_MODE: 'none', NODE_ENV: 'production' })).toThrow(/AUTH_MODE/);
    expect(() => loadConfig({ AUTH_JWT_SECRET: 'short' })).toThrow(/AUTH_JWT_SECRET/);
    expect(loadConfig({ AUTH_JWT_SECRET: 'x'.repeat(32) }).AUTH_MODE).toBe('jwt');
  });

  it('turns MAX_DATA_BYTES / MAX_DATA_DEPTH into the data limits of every write path', () => {
    expect(dataLimitsFromConfig(loadConfig({ AUTH_MODE: 'none' }))).toBe(DEFAULT_JSON_LIMITS);
    expect(
      dataLimitsFromConfig(loadConfig({ AUTH_MODE: 'none', MAX_DATA_BYTES: '4096', MAX_DATA_DEPTH: '3' })),
    ).toEqual({
      ...DEFAULT_JSON_LIMITS,
      maxBytes: 4096,
      maxDepth: 3,
    });
  });
});

describe('logger', () => {
  it('writes the original line format and redacts tokens and passwords', () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString().trimEnd());
        callback();
      },
    });
    const logger = createLogger({ stream, format: 'pretty' });
    logger.info('connect mongodb://admin:hunter2@db:27017/x with ?access_token=abc.def.ghi&x=1');
    logger.warn('Authorization: Bearer eyJhbGciOi.secret.sig');
    expect(lines[0]).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] info: connect /);
    expect(lines[1]).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] warn: /);
    expect(lines.join('\n')).not.toMatch(/hunter2|abc\.def\.ghi|eyJhbGciOi/);
    expect(redact('redis://:pw@127.0.0.1:6379')).toBe('redis://:[redacted]@127.0.0.1:6379');
    expect(redact('key sk-proj-AbC123_def-456ghiJKL789 refused')).toBe('key sk-[redacted] refused');
  });

  it('has prompt.enhance settings: no provider by default, a short timeout and a per-subject limit', () => {
    const config = loadConfig({ AUTH_MODE: 'none' });
    expect(config.OPENAI_API_KEY).toBeUndefined();
    expect(config.OPENAI_BASE_URL).toBeUndefined();
    expect(config).toMatchObject({
      OPENAI_MODEL: 'gpt-4o-mini',
      PROMPT_TIMEOUT_MS: 15_000,
      PROMPT_RATE_LIMIT_PER_MIN: 20,
      PROMPT_RATE_LIMIT_BURST: 5,
    });
    expect(() => loadConfig({ AUTH_MODE: 'none', OPENAI_BASE_URL: 'ftp://example' })).toThrow(/OPENAI_BASE_URL/);
    expect(() => loadConfig({ AUTH_MODE: 'none', PROMPT_TIMEOUT_MS: '0' })).toThrow(/PROMPT_TIMEOUT_MS/);
  });
});
