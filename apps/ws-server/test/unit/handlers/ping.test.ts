import { describe, expect, it, vi } from 'vitest';
import { ping } from '../../../src/handlers/ping.js';
import { RequestContext } from '../../../src/request-context.js';
import { FakeSession } from '../../helpers/fake-session.js';

describe('ping handler', () => {
  it('answers synchronously with the server clock as an ISO time, touching neither service nor session', () => {
    vi.useFakeTimers({ now: Date.parse('2026-03-04T05:06:07.000Z') });
    try {
      const session = new FakeSession();
      const ctx = new RequestContext(undefined as never, session, 'p1');
      const result = ping({}, ctx);
      expect(result).toEqual({ ts: '2026-03-04T05:06:07.000Z' });
      expect(ctx.hasAfterReply).toBe(false);
      expect(session.subscriptions.size).toBe(0);
      expect(session.unsubscribed).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });
});
