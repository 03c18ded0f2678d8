import { describe, expect, it } from 'vitest';
import {
  REQUESTS,
  REQUEST_TYPES,
  checkJsonObject,
  encodeAck,
  encodeError,
  encodeEvent,
  encodePong,
  parseClientMessage,
  parseRequestData,
  parseServerMessage,
  ProtocolError,
  requestIdSchema,
  toProtocolError,
  type ServerEvent,
} from '../src/index.js';

describe('request schemas', () => {
  for (const type of REQUEST_TYPES) {
    const spec = REQUESTS[type];
    it(`${type}: accepts every valid example and refuses every invalid one`, () => {
      for (const example of spec.examples.valid)
        expect(spec.data.safeParse(example).success, JSON.stringify(example)).toBe(true);
      for (const example of spec.examples.invalid)
        expect(spec.data.safeParse(example).success, JSON.stringify(example)).toBe(false);
    });
  }
});

describe('parseClientMessage', () => {
  it('decides every id as requestIdSchema does (the frame check skips zod for a plain valid id)', () => {
    // zod counts code points: 64 emoji (128 UTF-16 units) is a valid id, 65 is not.
    const ids: unknown[] = [
      '',
      'a',
      ' ',
      'a'.repeat(64),
      'a'.repeat(65),
      '😀'.repeat(32),
      '😀'.repeat(64),
      '😀'.repeat(65),
      '\u0000',
      'a\u0000b',
      1,
      null,
      true,
      {},
      ['a'],
    ];
    for (const id of ids) {
      const zod = requestIdSchema.safeParse(id);
      const parsed = parseClientMessage(JSON.stringify({ type: 'ping', id }));
      expect(parsed.ok, JSON.stringify(id)).toBe(zod.success);
      if (zod.success) expect(parsed).toMatchObject({ ok: true, value: { id } });
      else
        expect(parsed).toMatchObject({
          ok: false,
          error: { code: 'INVALID_MESSAGE', details: { issues: [{ path: ['id'] }] } },
        });
    }
  });

  it('decides data of every type as its schema does, also for the absent and empty data that skip zod', () => {
    const values = [undefined, {}, { a: 1 }, [], null, 0, '', JSON.parse('{"__proto__":{}}') as unknown];
    for (const type of REQUEST_TYPES) {
      for (const data of values) {
        const frame =
          data === undefined
            ? JSON.stringify({ type })
            : `{"type":${JSON.stringify(type)},"data":${JSON.stringify(data)}}`;
        const parsed = parseClientMessage(frame);
        const zod = REQUESTS[type].data.safeParse(data === undefined ? undefined : JSON.parse(JSON.stringify(data)));
        expect(parsed.ok, frame).toBe(zod.success);
        if (zod.success && parsed.ok) expect(parsed.value.data, frame).toEqual(zod.data);
        if (!zod.success && !parsed.ok)
          expect(parsed.error.details, frame).toEqual({
            issues: zod.error.issues.map((issue) => ({ path: ['data', ...issue.path], message: issue.message })),
          });
      }
    }
  });

  it('round-trips a valid request of every type', () => {
    for (const type of REQUEST_TYPES) {
      const data = REQUESTS[type].examples.valid[0];
      const result = parseClientMessage(JSON.stringify({ type, id: 'abc', data }));
      expect(result).toEqual({
        ok: true,
        value: data === undefined ? { type, id: 'abc', data: undefined } : { type, id: 'abc', data },
      });
    }
  });

  it.each([
    ['{', 'INVALID_JSON'],
    ['', 'INVALID_JSON'],
    ['[]', 'INVALID_JSON'],
    ['null', 'INVALID_JSON'],
    ['42', 'INVALID_JSON'],
    ['"ping"', 'INVALID_JSON'],
    ['{"type":5}', 'INVALID_MESSAGE'],
    ['{}', 'INVALID_MESSAGE'],
    ['{"type":"nope"}', 'UNKNOWN_TYPE'],
    ['{"type":"toString"}', 'UNKNOWN_TYPE'],
    ['{"type":"__proto__"}', 'UNKNOWN_TYPE'],
    ['{"type":"ping","extra":1}', 'INVALID_MESSAGE'],
    ['{"type":"ping","id":""}', 'INVALID_MESSAGE'],
    ['{"type":"ping","id":5}', 'INVALID_MESSAGE'],
    ['{"type":"workspace.list","data":{"projectId":{"$ne":null}}}', 'INVALID_MESSAGE'],
  ])('%s -> %s', (raw, code) => {
    const result = parseClientMessage(raw);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe(code);
  });

  it('keeps the id of a request that fails validation, so the error can echo it', () => {
    const result = parseClientMessage('{"type":"workspace.create","id":"x1","data":{}}');
    expect(result).toMatchObject({ ok: false, id: 'x1', error: { code: 'INVALID_MESSAGE' } });
    if (!result.ok)
      expect(result.error.details).toEqual({
        issues: expect.arrayContaining([expect.objectContaining({ path: ['data', 'projectId'] })]),
      });
  });
});

describe('checkJsonObject', () => {
  it('accepts ordinary JSON objects', () => {
    expect(checkJsonObject({ a: [1, 'two', null, true, { b: { c: [] } }], 'key with space': 1.5 })).toBeUndefined();
  });

  it('accepts prototype-named keys and nested arrays as plain data', () => {
    expect(
      checkJsonObject(
        JSON.parse('{"__proto__":{"x":1},"constructor":{"prototype":1},"toString":[[[]]],"hasOwnProperty":"\\ud800"}'),
      ),
    ).toBeUndefined();
  });

  it.each([
    [{ $set: 1 }, ['$set']],
    [{ a: { 'b.c': 1 } }, ['a', 'b.c']],
    [{ a: [{ $inc: 1 }] }, ['a', 0, '$inc']],
    [{ s: 'a\u0000b' }, ['s']],
  ])('refuses %j at %j', (value, path) => {
    expect(checkJsonObject(value)?.path).toEqual(path);
  });

  it('refuses non-objects, non-finite numbers, deep nesting and too many values without recursion', () => {
    expect(checkJsonObject([])).toBeDefined();
    expect(checkJsonObject(null)).toBeDefined();
    expect(checkJsonObject({ n: Infinity })?.message).toMatch(/finite/);
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i += 1) deep = { a: deep };
    expect(checkJsonObject(deep)?.message).toMatch(/nested deeper/);
    expect(checkJsonObject({ a: Array.from({ length: 20_000 }, () => 0) })?.message).toMatch(/values/);
    expect(checkJsonObject({ s: 'x'.repeat(70_000) })?.message).toMatch(/string longer/);
  });
});

describe('server frames', () => {
  const workspace = {
    id: 'w1',
    projectId: 'p1',
    name: 'Intro',
    position: 0,
    version: 1,
    data: {},
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };

  it('refuses a name with a lone surrogate (not text, and not storable as UTF-8), takes any other Unicode', () => {
    const frame = (name: string) => JSON.stringify({ type: 'workspace.create', data: { projectId: 'p1', name } });
    expect(parseClientMessage(frame('a\ud800b'))).toMatchObject({
      ok: false,
      error: { code: 'INVALID_MESSAGE', details: { issues: [{ path: ['data', 'name'] }] } },
    });
    expect(parseClientMessage(frame('x\udfff'))).toMatchObject({ ok: false });
    expect(parseClientMessage(frame('fox \u{1f98a} Ünïcödé'))).toMatchObject({ ok: true });
  });

  it('keeps data exactly as sent in events parsed by a client, "__proto__" keys and nested arrays included', () => {
    const text = `{"type":"workspace.created","projectId":"p1","seq":1,"data":{"workspace":${JSON.stringify(workspace).replace('"data":{}', '"data":{"__proto__":{"a":[[1]]},"s":"\\ud800"}')}}}`;
    const parsed = parseServerMessage(text);
    expect(parsed.ok).toBe(true);
    expect(JSON.stringify(parsed.ok && parsed.value)).toBe(text);
  });

  it('encodes and parses back acks, errors, pongs and events', () => {
    expect(parseServerMessage(encodeAck({ workspace }, 'r1'))).toEqual({
      ok: true,
      value: { type: 'ack', id: 'r1', data: { workspace } },
    });
    const error = new ProtocolError('CONFLICT', 'stale', { details: { workspace } });
    expect(parseServerMessage(encodeError(error, 'r2'))).toEqual({
      ok: true,
      value: { type: 'error', id: 'r2', code: 'CONFLICT', message: 'stale', details: { workspace } },
    });
    expect(parseServerMessage(encodePong('2026-01-01T00:00:00.000Z'))).toEqual({
      ok: true,
      value: { type: 'pong', data: { ts: '2026-01-01T00:00:00.000Z' } },
    });
    // Written out by hand: the same JSON as the object form, and ids that need escaping stay valid JSON.
    for (const id of ['p1', 'q"uote', 'back\\slash', 'new\nline', '\u2028', 'é😀']) {
      const frame = encodePong('2026-01-01T00:00:00.000Z', id);
      expect(frame).toBe(JSON.stringify({ type: 'pong', id, data: { ts: '2026-01-01T00:00:00.000Z' } }));
      expect(parseServerMessage(frame)).toEqual({
        ok: true,
        value: { type: 'pong', id, data: { ts: '2026-01-01T00:00:00.000Z' } },
      });
    }
    const event: ServerEvent = {
      type: 'workspace.created',
      projectId: 'p1',
      seq: 1,
      data: { workspace },
      origin: { sessionId: 's', requestId: 'r' },
    };
    expect(parseServerMessage(encodeEvent(event))).toEqual({ ok: true, value: event });
  });

  it('refuses events that break their schema', () => {
    expect(parseServerMessage('{"type":"workspace.deleted","projectId":"p","seq":0,"data":{"id":"w"}}').ok).toBe(false);
    expect(parseServerMessage('{"type":"workspace.exploded","projectId":"p","seq":1,"data":{}}').ok).toBe(false);
  });

  it('parseRequestData validates REST bodies with the same schemas', () => {
    expect(parseRequestData('workspace.reorder', { projectId: 'p', order: ['a'] })).toEqual({
      ok: true,
      value: { projectId: 'p', order: ['a'] },
    });
    expect(parseRequestData('workspace.reorder', { projectId: 'p' }).ok).toBe(false);
  });
});

describe('errors', () => {
  it('toProtocolError keeps protocol errors and hides everything else behind INTERNAL', () => {
    const known = new ProtocolError('NOT_FOUND', 'gone');
    expect(toProtocolError(known)).toBe(known);
    const hidden = toProtocolError(new Error('mongodb://user:secret@host failed'));
    expect(hidden.code).toBe('INTERNAL');
    expect(hidden.message).toBe('Internal error');
    expect(JSON.stringify(hidden.toJSON())).not.toContain('secret');
  });
});
