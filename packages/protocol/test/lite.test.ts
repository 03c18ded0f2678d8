import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REQUESTS, REQUEST_TYPES, isRequestType, parseRequestData, parseServerMessage } from '../src/index.js';
import { checkReplyData, checkRequestData, parseServerFrame } from '../src/lite/index.js';

// The zod-free checks a browser client runs must decide as the zod schemas do.
const docPath = join(dirname(fileURLToPath(import.meta.url)), '../../../docs/protocol.md');
const examples = [...readFileSync(docPath, 'utf8').matchAll(/```json\n([\s\S]*?)```/g)].map(
  (m) => JSON.parse(m[1]!) as Record<string, unknown>,
);
const serverFrames = examples.filter((frame) => !isRequestType(frame['type'] as string));

/** Variants of a frame: each key removed, an extra key, and each value replaced by values of other types. */
function mutations(value: Record<string, unknown>, depth = 0): Record<string, unknown>[] {
  const result: Record<string, unknown>[] = [{ ...value, extra: 1 }];
  for (const key of Object.keys(value)) {
    const { [key]: _removed, ...rest } = value;
    result.push(rest);
    for (const other of [null, 0, -1, 1.5, '', 'x', true, [], {}, ['a'], 'a'.repeat(65), '2026-13-01T00:00:00Z']) {
      result.push({ ...value, [key]: other });
    }
    const inner = value[key];
    if (depth < 3 && typeof inner === 'object' && inner !== null && !Array.isArray(inner)) {
      for (const variant of mutations(inner as Record<string, unknown>, depth + 1))
        result.push({ ...value, [key]: variant });
    }
  }
  return result;
}

describe('checkRequestData (compiled checks) decides as the zod schemas', () => {
  const values: unknown[] = [undefined, {}, { a: 1 }, [], null, 0, '', JSON.parse('{"__proto__":{}}') as unknown];
  it.each(REQUEST_TYPES)('%s: examples, their mutations and odd values', (type) => {
    const spec = REQUESTS[type];
    const candidates: unknown[] = [...values, ...spec.examples.valid, ...spec.examples.invalid];
    for (const example of spec.examples.valid as readonly unknown[]) {
      if (typeof example === 'object' && example !== null)
        candidates.push(...mutations(example as Record<string, unknown>));
    }
    candidates.push(
      { projectId: 'p1', name: 'a\u0000b' },
      { projectId: 'p1', name: '\ud800' },
      { id: 'w1', patch: { data: { 'a.b': 1 } } },
    );
    for (const data of candidates) {
      const zod = parseRequestData(type, data);
      const lite = checkRequestData(type, data as never);
      expect(lite.ok, `${type} ${JSON.stringify(data)}`).toBe(zod.ok);
      if (!lite.ok) expect(lite.error.code).toBe('INVALID_MESSAGE');
    }
  });
});

describe('parseServerFrame (compiled checks) decides as parseServerMessage', () => {
  it('on every server frame of docs/protocol.md and its mutations', () => {
    expect(serverFrames.length).toBeGreaterThan(10);
    let count = 0;
    for (const frame of serverFrames) {
      for (const variant of [frame, ...mutations(frame)]) {
        const text = JSON.stringify(variant);
        const zod = parseServerMessage(text);
        const lite = parseServerFrame(text);
        expect(lite.ok, text).toBe(zod.ok);
        if (zod.ok && lite.ok) expect(lite.value).toEqual(zod.value);
        if (!zod.ok && !lite.ok) expect(lite.error.code).toBe(zod.error.code);
        count += 1;
      }
    }
    expect(count).toBeGreaterThan(1000);
  });

  it('on frames that are not JSON objects', () => {
    for (const text of ['', 'nope', '[]', 'null', '{"type":1}', '"hello"']) {
      expect(parseServerFrame(text)).toMatchObject({
        ok: false,
        error: { code: parseServerMessage(text).ok ? 'x' : 'INVALID_JSON' },
      });
    }
  });
});

describe('checkReplyData (compiled checks) decides as the ack schemas', () => {
  it('for every request type, on the data of every ack and pong of docs/protocol.md and its mutations', () => {
    const replies = serverFrames.filter((f) => f['type'] === 'ack' || f['type'] === 'pong').map((f) => f['data']);
    const candidates: unknown[] = [{}, null, [], 'x'];
    for (const data of replies) {
      candidates.push(data);
      if (typeof data === 'object' && data !== null) candidates.push(...mutations(data as Record<string, unknown>));
    }
    for (const type of REQUEST_TYPES) {
      for (const data of candidates) {
        expect(checkReplyData(type, data), `${type} ${JSON.stringify(data)}`).toBe(
          REQUESTS[type].ack.safeParse(data).success,
        );
      }
    }
  });
});
