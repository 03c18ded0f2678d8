import type { MutationContext, VideoRequests } from '@app/core';
import { createTestCore } from '@app/core/testing';
import type { AckData, ParsedRequestData } from '@app/protocol';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Core } from '@app/core';
import { videoCancel, videoGenerate, videoList } from '../../../src/handlers/video.js';
import { RequestContext } from '../../../src/request-context.js';
import { FakeSession } from '../../helpers/fake-session.js';

let core: Core & { dbName: string };

beforeAll(async () => {
  core = await createTestCore(inject('mongodbUri'));
});

afterAll(async () => {
  await core.close();
});

/** Video requests that record what they were asked, as whom (the narrow interface the handlers call). */
class RecordingVideo implements VideoRequests {
  readonly calls: { type: string; input: unknown; ctx: MutationContext }[] = [];

  generate(input: ParsedRequestData<'video.generate'>, ctx: MutationContext): Promise<AckData<'video.generate'>> {
    this.calls.push({ type: 'generate', input, ctx });
    return Promise.resolve({
      job: { id: 'j1', workspaceId: input.workspaceId, status: 'queued', createdAt: '2026-01-01T00:00:00.000Z' },
    });
  }

  cancel(input: ParsedRequestData<'video.cancel'>, ctx: MutationContext): Promise<AckData<'video.cancel'>> {
    this.calls.push({ type: 'cancel', input, ctx });
    return Promise.resolve({
      job: { id: 'j1', workspaceId: input.workspaceId, status: 'queued', createdAt: '2026-01-01T00:00:00.000Z' },
    });
  }

  list(input: ParsedRequestData<'video.list'>, ctx: MutationContext): Promise<AckData<'video.list'>> {
    this.calls.push({ type: 'list', input, ctx });
    return Promise.resolve({ jobs: [] });
  }
}

describe('video handlers', () => {
  it('hand the data to the video service as the session, with the request id (its idempotency key)', async () => {
    const session = new FakeSession({ subject: 'alice', projects: new Set(['p1']) });
    const video = new RecordingVideo();
    const generated = await videoGenerate(
      { workspaceId: 'w1', prompt: 'a fox' },
      new RequestContext(core.service, session, 'g1', undefined, video),
    );
    expect(generated.job).toMatchObject({ id: 'j1', workspaceId: 'w1', status: 'queued' });
    await videoCancel({ workspaceId: 'w1' }, new RequestContext(core.service, session, 'c1', undefined, video));
    expect(
      await videoList({ workspaceId: 'w1' }, new RequestContext(core.service, session, 'l1', undefined, video)),
    ).toEqual({
      jobs: [],
    });
    expect(video.calls.map(({ type, input, ctx }) => [type, input, ctx.subject, ctx.requestId, ctx.origin])).toEqual([
      [
        'generate',
        { workspaceId: 'w1', prompt: 'a fox' },
        'alice',
        'g1',
        { sessionId: session.sessionId, requestId: 'g1' },
      ],
      ['cancel', { workspaceId: 'w1' }, 'alice', 'c1', { sessionId: session.sessionId, requestId: 'c1' }],
      ['list', { workspaceId: 'w1' }, 'alice', 'l1', { sessionId: session.sessionId, requestId: 'l1' }],
    ]);
    // The session's authorisation goes with the context: the service checks the workspace's project with it.
    expect(() => video.calls[0]!.ctx.authorize?.('p2')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    expect(() => video.calls[0]!.ctx.authorize?.('p1')).not.toThrow();
  });

  it('answer UNAVAILABLE on a server that runs no video pipeline', () => {
    const ctx = new RequestContext(core.service, new FakeSession(), 'g2');
    expect(() => videoGenerate({ workspaceId: 'w1', prompt: 'x' }, ctx)).toThrow(
      expect.objectContaining({ code: 'UNAVAILABLE' }),
    );
    expect(() => videoCancel({ workspaceId: 'w1' }, ctx)).toThrow(expect.objectContaining({ code: 'UNAVAILABLE' }));
    expect(() => videoList({ workspaceId: 'w1' }, ctx)).toThrow(expect.objectContaining({ code: 'UNAVAILABLE' }));
  });
});
