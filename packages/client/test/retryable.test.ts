import { ProtocolError } from '@app/protocol';
import { expect, it } from 'vitest';
import { ClientError, isRetryable } from '../src/index.js';

it('isRetryable follows the error code, unless the server said a retry will not help (details.retryable: false)', () => {
  expect(isRetryable(new ProtocolError('UNAVAILABLE', 'down', { details: { retryAfterMs: 2_000 } }))).toBe(true);
  expect(
    isRetryable(
      new ProtocolError('UNAVAILABLE', 'no quota', { details: { retryable: false, reason: 'insufficient_quota' } }),
    ),
  ).toBe(false);
  expect(isRetryable(new ProtocolError('INVALID_MESSAGE', 'bad'))).toBe(false);
  expect(isRetryable(new ClientError('TIMEOUT', 'slow'))).toBe(true);
});
