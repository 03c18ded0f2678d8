import type { Core } from '@app/core';
import { createTestCore } from '@app/core/testing';
import { ProtocolError } from '@app/protocol';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { subscribe } from '../../../src/handlers/subscribe.js';
import { RequestContext } from '../../../src/request-context.js';
import { FakeSession } from '../../helpers/fake-session.js';

let core: Core & { dbName: string };

beforeAll(async () => {
  core = await createTestCore(inject('mongodbUri'));
});

afterAll(async () => {
  await core.close();
});

/** A project with `count` workspaces created by `session`; returns their names in order. */
async function project(session: FakeSession, projectId: string, count: number): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < count; i += 1) {
    await core.service.create({ projectId, name: `${projectId}-${i}` }, session.mutationFor(undefined));
    names.push(`${projectId}-${i}`);
  }
  return names;
}

describe('subscribe handler', () => {
  it('joins first, answers with the snapshot, and starts live delivery only after the reply', async () => {
    const session = new FakeSession();
    const names = await project(session, 'sub-snapshot', 2);
    const ctx = new RequestContext(core.service, session, 's1');
    const ack = await subscribe({ projectId: 'sub-snapshot' }, ctx);
    expect(ack).toMatchObject({ seq: 2, snapshot: names.map((name) => ({ name })) });
    expect(typeof ack.epoch).toBe('string');
    const subscription = session.subscriptions.get('sub-snapshot')!;
    expect(subscription.catchUps).toEqual([]);
    expect(subscription.startedAt).toBeUndefined(); // not before the ack is written
    ctx.replied('subscribe', () => {});
    expect(subscription.startedAt).toBe(2);
  });

  it('with sinceSeq, streams the events after it through the subscription and acks the count replayed', async () => {
    const session = new FakeSession();
    await project(session, 'sub-replay', 3);
    const first = await subscribe({ projectId: 'sub-replay' }, new RequestContext(core.service, session, 's0'));
    const ctx = new RequestContext(core.service, session, 's2');
    const ack = await subscribe({ projectId: 'sub-replay', sinceSeq: 1, epoch: first.epoch }, ctx);
    expect(ack).toEqual({ epoch: first.epoch, seq: 3, replayed: 2 });
    const subscription = session.subscriptions.get('sub-replay')!;
    expect(subscription.catchUps).toEqual([[1, 3]]);
    ctx.replied('subscribe', () => {});
    expect(subscription.startedAt).toBe(3);
  });

  it('answers resync for another epoch, without replaying', async () => {
    const session = new FakeSession();
    await project(session, 'sub-resync', 1);
    const ack = await subscribe(
      { projectId: 'sub-resync', sinceSeq: 1, epoch: 'another-epoch' },
      new RequestContext(core.service, session, 's3'),
    );
    expect(ack).toMatchObject({ seq: 1, resync: true });
    expect(session.subscriptions.get('sub-resync')!.catchUps).toEqual([]);
  });

  it('leaves the subscription it made when the service refuses (FORBIDDEN), and throws the refusal', async () => {
    const session = new FakeSession({ subject: 'outsider', projects: new Set(['elsewhere']) });
    const ctx = new RequestContext(core.service, session, 's4');
    const refused = subscribe({ projectId: 'sub-forbidden' }, ctx);
    await expect(refused).rejects.toBeInstanceOf(ProtocolError);
    await expect(refused).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(session.unsubscribed).toHaveLength(1);
    expect(session.unsubscribed[0]!.projectId).toBe('sub-forbidden');
    expect(session.unsubscribed[0]!.which).toBeDefined();
    expect(session.subscriptions.has('sub-forbidden')).toBe(false);
    expect(ctx.hasAfterReply).toBe(false);
  });

  it('leaves the subscription when the replay fails part-way', async () => {
    const session = new FakeSession();
    await project(session, 'sub-broken', 2);
    const { epoch } = await core.service.snapshot('sub-broken');
    const original = session.subscribe.bind(session);
    session.subscribe = (projectId) => {
      const subscription = original(projectId);
      subscription.catchUpResult = () => Promise.reject(new Error('socket closed mid-replay'));
      return subscription;
    };
    const replay = subscribe(
      { projectId: 'sub-broken', sinceSeq: 0, epoch },
      new RequestContext(core.service, session, 's5'),
    );
    await expect(replay).rejects.toThrow('socket closed mid-replay');
    expect(session.subscriptions.has('sub-broken')).toBe(false);
  });
});
