import { ProtocolError } from '@app/client';
import { describe, expect, it } from 'vitest';
import { budgetMessage, retryIn } from '../../src/error-message.js';

const refused = (budget: string, retryAfterMs: number) =>
  new ProtocolError('RATE_LIMITED', 'Spent', { details: { budget, retryAfterMs } });

describe('a spent budget of paid work, as a sentence', () => {
  it('says what is used up and when more is possible', () => {
    expect(budgetMessage(refused('video-daily-per-subject', 3 * 3_600_000))).toBe(
      'You have started as many videos as a day allows. You can start more in about 3 hours.',
    );
    expect(budgetMessage(refused('prompt-daily-per-subject', 20 * 60_000))).toBe(
      'You have used today’s prompt suggestions. More in about 20 minutes.',
    );
    expect(budgetMessage(refused('prompt-per-minute-deployment', 30_000))).toBe(
      'The service is busy for everyone right now. Try again in a minute.',
    );
  });

  it('leaves other refusals to the general sentences', () => {
    expect(budgetMessage(new ProtocolError('RATE_LIMITED', 'Too many', { details: { retryAfterMs: 100 } }))).toBe(
      undefined,
    );
    expect(budgetMessage(new ProtocolError('CONFLICT', 'x'))).toBe(undefined);
    expect(retryIn(90 * 60_000)).toBe('in about 2 hours');
  });
});
