import type { Core } from '@app/core';
import { createTestCore } from '@app/core/testing';
import { ProtocolError, REQUEST_TYPES, parseServerMessage, type RequestType, type ServerMessage } from '@app/protocol';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { HANDLERS } from '../../src/handlers/index.js';
import type { Handler, HandlerTable } from '../../src/handlers/types.js';
import type { Reply } from '../../src/reply.js';
import type { RequestErrorSink } from '../../src/request-error-sink.js';
import { Router } from '../../src/router.js';
import { FakeSession, request } from '../helpers/fake-session.js';

let core: Core & { dbName: string };

beforeAll(async () => {
  core = await createTestCore(inject('mongodbUri'));
});

afterAll(async () => {
  await core.close();
});

interface Reported {
  error: unknown;
  sessionId: string;
  requestType: RequestType | undefined;
}

/** A router over the real service, with the given handlers in place of some of the real ones. */
function routerWith(handlers: Partial<HandlerTable> = {}, maxFrameBytes = 1024 * 1024) {
  const reported: Reported[] = [];
  const onError: RequestErrorSink = (error, context) =>
    reported.push({ error, ...context, requestType: context.requestType });
  const router = new Router({ service: core.service, maxFrameBytes, onError, handlers: { ...HANDLERS, ...handlers } });
  return { router, reported };
}

function frame(text: string): ServerMessage {
  const parsed = parseServerMessage(text);
  if (!parsed.ok) throw new Error(`not a server frame: ${text}`);
  return parsed.value;
}

/** The reply of a handler that answers synchronously: a value, not a promise. */
function syncReply(reply: Reply | Promise<Reply>): Reply {
  expect(reply).not.toBeInstanceOf(Promise);
  return reply as Reply;
}

describe('Router', () => {
  it('has a handler for every request type of the protocol', () => {
    expect(Object.keys(HANDLERS).sort()).toEqual([...REQUEST_TYPES].sort());
    // @ts-expect-error the compiler insists on one handler per request type
    const incomplete: HandlerTable = { ...HANDLERS, ping: undefined };
    expect(incomplete.ping).toBeUndefined();
  });

  it('answers ping synchronously with a pong that echoes the id', () => {
    const { router, reported } = routerWith();
    const reply = syncReply(router.route(request({ type: 'ping', id: 'p1' }), new FakeSession()));
    expect(reply.errorCode).toBeUndefined();
    expect(reply.pages).toBeUndefined();
    expect(reply.afterWrite).toBeUndefined();
    const pong = frame(reply.frame);
    expect(pong).toMatchObject({ type: 'pong', id: 'p1' });
    expect(Date.parse((pong as { data: { ts: string } }).data.ts)).not.toBeNaN();
    expect(reported).toEqual([]);
  });

  it('answers unsubscribe synchronously with an ack, after telling the session', () => {
    const { router } = routerWith();
    const session = new FakeSession();
    const reply = syncReply(
      router.route(request({ type: 'unsubscribe', id: 'u1', data: { projectId: 'p' } }), session),
    );
    expect(frame(reply.frame)).toEqual({ type: 'ack', id: 'u1', data: {} });
    expect(session.unsubscribed).toEqual([{ projectId: 'p', which: undefined }]);
  });

  it('resolves to the ack of a handler that answers later', async () => {
    const { router } = routerWith({ 'workspace.delete': async (data) => ({ id: data.id }) });
    const pending = router.route(
      request({ type: 'workspace.delete', id: 'd1', data: { id: 'w1' } }),
      new FakeSession(),
    );
    expect(pending).toBeInstanceOf(Promise);
    const reply = await pending;
    expect(reply.errorCode).toBeUndefined();
    expect(frame(reply.frame)).toEqual({ type: 'ack', id: 'd1', data: { id: 'w1' } });
  });

  it('answers a typed error thrown synchronously with that error, at once, and reports it', () => {
    const refusal = new ProtocolError('FORBIDDEN', 'No access to project p');
    const { router, reported } = routerWith({
      unsubscribe: () => {
        throw refusal;
      },
    });
    const reply = syncReply(
      router.route(request({ type: 'unsubscribe', id: 'u2', data: { projectId: 'p' } }), new FakeSession()),
    );
    expect(reply.errorCode).toBe('FORBIDDEN');
    expect(frame(reply.frame)).toEqual({
      type: 'error',
      id: 'u2',
      code: 'FORBIDDEN',
      message: 'No access to project p',
    });
    expect(reported).toEqual([{ error: refusal, sessionId: 'session-under-test', requestType: 'unsubscribe' }]);
  });

  it('answers an unexpected rejection with INTERNAL and a generic message, reporting the original error', async () => {
    const failure = new Error('connect to mongodb://admin:s3cret@db failed');
    const { router, reported } = routerWith({ 'workspace.list': () => Promise.reject(failure) });
    const reply = await router.route(
      request({ type: 'workspace.list', id: 'l1', data: { projectId: 'p' } }),
      new FakeSession(),
    );
    expect(reply.errorCode).toBe('INTERNAL');
    expect(frame(reply.frame)).toEqual({ type: 'error', id: 'l1', code: 'INTERNAL', message: 'Internal error' });
    expect(reply.frame).not.toContain('s3cret');
    expect(reply.afterWrite).toBeUndefined();
    expect(reported).toEqual([{ error: failure, sessionId: 'session-under-test', requestType: 'workspace.list' }]);
  });

  it('answers a result that cannot be encoded with INTERNAL', () => {
    const { router, reported } = routerWith({ unsubscribe: () => ({ big: 1n }) as never });
    const reply = syncReply(
      router.route(request({ type: 'unsubscribe', id: 'u3', data: { projectId: 'p' } }), new FakeSession()),
    );
    expect(reply.errorCode).toBe('INTERNAL');
    expect(frame(reply.frame)).toMatchObject({ type: 'error', id: 'u3', code: 'INTERNAL' });
    expect(reported).toHaveLength(1);
  });

  it('runs afterReply callbacks only once the caller wrote the reply, reporting a failing one without stopping the rest', () => {
    const order: string[] = [];
    const crash = new Error('after reply');
    const handler: Handler<'unsubscribe'> = (_data, ctx) => {
      ctx.afterReply(() => order.push('first'));
      ctx.afterReply(() => {
        throw crash;
      });
      ctx.afterReply(() => order.push('third'));
      return {};
    };
    const { router, reported } = routerWith({ unsubscribe: handler });
    const reply = syncReply(
      router.route(request({ type: 'unsubscribe', id: 'u4', data: { projectId: 'p' } }), new FakeSession()),
    );
    expect(order).toEqual([]);
    expect(reply.afterWrite).toBeDefined();
    expect(() => reply.afterWrite!()).not.toThrow();
    expect(order).toEqual(['first', 'third']);
    expect(reported).toEqual([{ error: crash, sessionId: 'session-under-test', requestType: 'unsubscribe' }]);
  });

  it('pages a list too large for one frame: page frames first, then the ack with the rest, in order', async () => {
    const session = new FakeSession();
    const projectId = 'router-paging';
    for (let i = 0; i < 6; i += 1) {
      await core.service.create(
        { projectId, name: `w${i}`, data: { note: 'x'.repeat(300) } },
        session.mutationFor(undefined),
      );
    }
    const { router } = routerWith({}, 1024);
    const reply = await router.route(request({ type: 'workspace.list', id: 'l2', data: { projectId } }), session);
    expect(reply.errorCode).toBeUndefined();
    expect(reply.pages?.length).toBeGreaterThan(0);
    const names: string[] = [];
    for (const page of reply.pages!) {
      expect(Buffer.byteLength(page)).toBeLessThanOrEqual(1024);
      const parsed = frame(page) as { type: string; id: string; data: { workspaces: { name: string }[] } };
      expect(parsed).toMatchObject({ type: 'page', id: 'l2' });
      names.push(...parsed.data.workspaces.map((w) => w.name));
    }
    const ack = frame(reply.frame) as { type: string; data: { workspaces: { name: string }[]; seq: number } };
    expect(ack).toMatchObject({ type: 'ack', id: 'l2', data: { seq: 6 } });
    names.push(...ack.data.workspaces.map((w) => w.name));
    expect(names).toEqual(['w0', 'w1', 'w2', 'w3', 'w4', 'w5']);
  });
});
