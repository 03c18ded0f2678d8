// The shape check before JSON.parse: frames too deep or with too many values are refused without being
// parsed; every frame within the limits passes it (valid data of MAX_DATA_DEPTH levels, 10,000 ids).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_DATA_DEPTH, MAX_DATA_NODES, jsonShapeProblem, parseClientMessage } from '../src/index.js';

afterEach(() => {
  vi.restoreAllMocks();
});

function update(data: string): string {
  return `{"type":"workspace.update","id":"u","data":{"id":"w","patch":{"data":${data}}}}`;
}

describe('jsonShapeProblem', () => {
  it('ignores brackets, commas, quotes and backslashes inside strings', () => {
    expect(jsonShapeProblem(`{"a":"${'[{,'.repeat(100_000)}\\"[\\\\"}`, 2, 2)).toBeUndefined();
    expect(jsonShapeProblem('{"a":"\\\\",  "b":[[[]]]}', 3, 10)).toBe('nested deeper than 3 levels');
  });

  it('counts values from below: n commas mean at least n + 1 values', () => {
    expect(jsonShapeProblem('[1,2,3]', 5, 3)).toBeUndefined();
    expect(jsonShapeProblem('[1,2,3,4]', 5, 3)).toBe('more than 3 values');
    expect(jsonShapeProblem('[[],[],[]]', 5, 3)).toBe('more than 3 values'); // four arrays
    // 7,000 chains of 60 arrays: few commas, 420,000 arrays
    expect(
      jsonShapeProblem(`[${Array.from({ length: 7_000 }, () => '['.repeat(60) + ']'.repeat(60)).join(',')}]`),
    ).toMatch(/more than/);
  });

  it('passes the deepest and the widest valid frames', () => {
    let deep = '1';
    for (let i = 1; i < MAX_DATA_DEPTH; i += 1) deep = `{"a":${deep}}`;
    deep = `{"a":${deep}}`; // MAX_DATA_DEPTH objects
    expect(parseClientMessage(update(deep)).ok).toBe(true);
    const ids = Array.from({ length: 10_000 }, (_, i) => `"w${i}"`).join(',');
    expect(
      parseClientMessage(`{"type":"workspace.reorder","id":"r","data":{"projectId":"p","order":[${ids}]}}`).ok,
    ).toBe(true);
    const values = `[${Array.from({ length: MAX_DATA_NODES - 2 }, () => '0').join(',')}]`;
    expect(parseClientMessage(update(`{"a":${values}}`)).ok).toBe(true);
  });

  it.each([
    ['half a million nested arrays', update(`{"a":${'['.repeat(500_000)}${']'.repeat(500_000)}}`)],
    [
      '7,000 chains of 60 arrays',
      update(`{"a":[${Array.from({ length: 7_000 }, () => '['.repeat(60) + ']'.repeat(60)).join(',')}]}`),
    ],
    ['100,000 keys', update(`{${Array.from({ length: 100_000 }, (_, i) => `"k${i}":0`).join(',')}}`)],
    ['500,000 zeros', update(`{"a":[${Array.from({ length: 500_000 }, () => '0').join(',')}]}`)],
  ])('refuses %s without parsing the frame', (_name, frame) => {
    const parse = vi.spyOn(JSON, 'parse');
    const result = parseClientMessage(frame);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('INVALID_MESSAGE');
    if (!result.ok) expect(result.id).toBe('u'); // read from the first bytes, without a parse
    expect(parse.mock.calls.filter(([text]) => typeof text === 'string' && text.length > 100)).toEqual([]);
  });

  it('answers a deep top-level array INVALID_JSON, as any frame that is not an object', () => {
    const result = parseClientMessage('['.repeat(30_000) + ']'.repeat(30_000));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('INVALID_JSON');
  });
});
