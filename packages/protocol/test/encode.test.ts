import { describe, expect, it } from 'vitest';
import {
  REQUESTS,
  REQUEST_TYPES,
  parseClientMessage,
  parseServerMessage,
  type RequestData,
  type RequestType,
} from '../src/index.js';
import { encodeHello, encodeRequest } from '../src/encode.js';

describe('encodeHello', () => {
  it('writes the frame the server built by hand, byte for byte, and it parses as a hello', () => {
    const fields = { sessionId: 's-1', heartbeatMs: 30_000, maxMessageBytes: 1_048_576 };
    const text = encodeHello(fields);
    expect(text).toBe(
      JSON.stringify({
        type: 'hello',
        data: { protocol: 1, sessionId: 's-1', heartbeatMs: 30_000, maxMessageBytes: 1_048_576 },
      }),
    );
    expect(text).toBe(
      '{"type":"hello","data":{"protocol":1,"sessionId":"s-1","heartbeatMs":30000,"maxMessageBytes":1048576}}',
    );
    expect(parseServerMessage(text)).toEqual({ ok: true, value: JSON.parse(text) as unknown });
  });

  it('takes only the hello fields, whatever else the object carries', () => {
    const fields = { sessionId: 's', heartbeatMs: 1, maxMessageBytes: 2, extra: true };
    expect(encodeHello(fields)).toBe(
      '{"type":"hello","data":{"protocol":1,"sessionId":"s","heartbeatMs":1,"maxMessageBytes":2}}',
    );
  });
});

describe('encodeRequest', () => {
  it('writes every example request as the client built it by hand, and the server reads it back', () => {
    for (const type of REQUEST_TYPES) {
      for (const data of REQUESTS[type].examples.valid as readonly unknown[]) {
        const text = encodeRequest(type as RequestType, 'r-1', data as RequestData<RequestType>);
        expect(text).toBe(JSON.stringify(data === undefined ? { type, id: 'r-1' } : { type, id: 'r-1', data }));
        const parsed = parseClientMessage(text);
        expect(parsed.ok, text).toBe(true);
        if (parsed.ok) expect(parsed.value).toMatchObject({ type, id: 'r-1' });
      }
    }
  });

  it('leaves data out when undefined (the keep-alive ping)', () => {
    expect(encodeRequest('ping', 'k', undefined)).toBe('{"type":"ping","id":"k"}');
    expect(encodeRequest('ping', 'k', {})).toBe('{"type":"ping","id":"k","data":{}}');
  });
});
