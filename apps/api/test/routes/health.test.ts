import { describe, expect, it } from 'vitest';
import { startApi } from '../helpers/start-api.js';

describe('GET /health', () => {
  it('answers 200 {status:"ok"} even when the database is not ready', async () => {
    const core = { service: {} as never, isDatabaseReady: async () => false };
    await using api = await startApi({ core });
    const res = await fetch(`${api.url}/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ status: 'ok' });
  });
});
