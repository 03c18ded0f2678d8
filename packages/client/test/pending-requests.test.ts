import { ProtocolError } from '@app/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClientError } from '../src/errors.js';
import { PendingRequests, type PendingRequest } from '../src/pending-requests.js';
import { workspace } from './helpers/stub-server.js';

const request = (id: string, overrides: Partial<PendingRequest> = {}): PendingRequest => ({
  id,
  type: 'workspace.delete',
  frame: JSON.stringify({ type: 'workspace.delete', id, data: { id: 'w1' } }),
  timeoutMs: 1_000,
  internal: false,
  ...overrides,
});

describe('PendingRequests', () => {
  let pending: PendingRequests;
  beforeEach(() => {
    vi.useFakeTimers();
    pending = new PendingRequests();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves with the validated ack data', async () => {
    const reply = pending.add(request('r1', { type: 'workspace.create' }));
    pending.sent('r1');
    expect(pending.settle({ type: 'ack', id: 'r1', data: { workspace: workspace('w1') } })).toBe(true);
    await expect(reply).resolves.toEqual({ workspace: workspace('w1') });
    expect(pending.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('resolves a ping with the pong data', async () => {
    const reply = pending.add(request('p', { type: 'ping' }));
    pending.settle({ type: 'pong', id: 'p', data: { ts: '2026-01-01T00:00:00.000Z' } });
    await expect(reply).resolves.toEqual({ ts: '2026-01-01T00:00:00.000Z' });
  });

  it('rejects with a ProtocolError carrying code, message and details', async () => {
    const reply = pending.add(request('r1'));
    pending.settle({ type: 'error', id: 'r1', code: 'CONFLICT', message: 'stale', details: { order: ['a'] } });
    const error = await reply.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ code: 'CONFLICT', message: 'stale', details: { order: ['a'] } });
  });

  it('rejects a reply that does not match the schema with INVALID_REPLY', async () => {
    const wrongData = pending.add(request('r1'));
    pending.settle({ type: 'ack', id: 'r1', data: { nope: true } });
    await expect(wrongData).rejects.toMatchObject({ name: 'ClientError', code: 'INVALID_REPLY' });
    const wrongKind = pending.add(request('r2'));
    pending.settle({ type: 'pong', id: 'r2', data: { ts: '2026-01-01T00:00:00.000Z' } });
    await expect(wrongKind).rejects.toMatchObject({ code: 'INVALID_REPLY' });
  });

  it('ignores replies with an unknown or missing id', () => {
    expect(pending.settle({ type: 'ack', id: 'nobody', data: {} })).toBe(false);
    expect(pending.settle({ type: 'ack', data: {} })).toBe(false);
  });

  it('times out only once sent, with TIMEOUT', async () => {
    const reply = pending.add(request('r1'));
    vi.advanceTimersByTime(5_000);
    expect(pending.has('r1')).toBe(true); // still queued: no timer
    pending.sent('r1');
    vi.advanceTimersByTime(999);
    expect(pending.has('r1')).toBe(true);
    vi.advanceTimersByTime(1);
    const error = await reply.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientError);
    expect(error).toMatchObject({ code: 'TIMEOUT' });
  });

  it('on disconnect returns sent user requests in order, rejects internal ones and stops timers', async () => {
    const a = pending.add(request('a'));
    const internal = pending.add(request('s', { type: 'subscribe', internal: true }));
    const b = pending.add(request('b'));
    const queued = pending.add(request('q'));
    for (const id of ['a', 's', 'b']) pending.sent(id);
    const resend = pending.disconnected();
    expect(resend.map((r) => r.id)).toEqual(['a', 'b']);
    await expect(internal).rejects.toMatchObject({ code: 'CONNECTION_LOST' });
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10_000);
    expect(pending.size).toBe(3);
    pending.rejectAll(new ClientError('CLOSED', 'closed'));
    for (const p of [a, b, queued]) await expect(p).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
