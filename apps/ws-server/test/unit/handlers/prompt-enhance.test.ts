import type { EnhanceCaller, EnhanceInput, EnhanceResult } from '@app/prompt-helper';
import { ProtocolError, parseServerMessage } from '@app/protocol';
import { describe, expect, it } from 'vitest';
import { HANDLERS } from '../../../src/handlers/index.js';
import { promptEnhance } from '../../../src/handlers/prompt-enhance.js';
import type { PromptEnhancer } from '../../../src/handlers/types.js';
import { RequestContext } from '../../../src/request-context.js';
import { Router } from '../../../src/router.js';
import { FakeSession, request } from '../../helpers/fake-session.js';

/** The one call the handler makes of the prompt helper, recorded; answers with `answer` (or its rejection). */
class FakePromptEnhancer implements PromptEnhancer {
  readonly calls: { input: EnhanceInput; caller: EnhanceCaller }[] = [];

  constructor(private readonly answer: (input: EnhanceInput) => Promise<EnhanceResult>) {}

  enhance(input: EnhanceInput, caller: EnhanceCaller): Promise<EnhanceResult> {
    this.calls.push({ input, caller });
    return this.answer(input);
  }
}

/** What `fn` throws (fails the test when it returns). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

const rewritten = (input: EnhanceInput): Promise<EnhanceResult> =>
  Promise.resolve({ prompt: `${input.prompt}, golden light`, notes: 'warmer' });

describe('prompt.enhance handler', () => {
  it('asks the helper with the data and the session as the caller (its subject and authorizer), and answers its result', async () => {
    const helper = new FakePromptEnhancer(rewritten);
    const session = new FakeSession({ subject: 'alice', projects: new Set(['mine']) });
    const ctx = new RequestContext(undefined as never, session, 'e1', helper);
    const result = await promptEnhance({ prompt: 'a fox', workspaceId: 'w1', style: 'noir' }, ctx);
    expect(result).toEqual({ prompt: 'a fox, golden light', notes: 'warmer' });
    expect(helper.calls).toHaveLength(1);
    const [{ input, caller }] = helper.calls as [{ input: EnhanceInput; caller: EnhanceCaller }];
    expect(input).toEqual({ prompt: 'a fox', workspaceId: 'w1', style: 'noir' });
    expect(caller.subject).toBe('alice');
    // The helper checks a workspaceId's project with the caller's authorizer: the session's token decides.
    expect(caller.authorize).toBeDefined();
    expect(() => caller.authorize!('mine')).not.toThrow();
    expect(thrown(() => caller.authorize!('theirs'))).toMatchObject({ code: 'FORBIDDEN' });
    expect(ctx.hasAfterReply).toBe(false);
    expect(session.subscriptions.size).toBe(0);
  });

  it('without a helper refuses with UNAVAILABLE saying so', () => {
    const ctx = new RequestContext(undefined as never, new FakeSession(), 'e2');
    expect(thrown(() => promptEnhance({ prompt: 'a fox' }, ctx))).toMatchObject({
      code: 'UNAVAILABLE',
      message: 'prompt.enhance is not set up on this server',
    });
  });

  it('passes the helper’s typed refusals through unchanged', async () => {
    const refusal = new ProtocolError('RATE_LIMITED', 'Too many prompt.enhance requests', {
      details: { retryAfterMs: 3_000 },
    });
    const ctx = new RequestContext(
      undefined as never,
      new FakeSession(),
      'e3',
      new FakePromptEnhancer(() => Promise.reject(refusal)),
    );
    await expect(promptEnhance({ prompt: 'a fox' }, ctx)).rejects.toBe(refusal);
  });

  it('is reached through the router with the helper the server gave it, answering an ack or the error', async () => {
    const reported: unknown[] = [];
    const helper = new FakePromptEnhancer((input) =>
      input.prompt.includes('bad')
        ? Promise.reject(new ProtocolError('PROVIDER_ERROR', 'The language model’s answer is not JSON'))
        : rewritten(input),
    );
    const router = new Router({
      service: undefined as never,
      maxFrameBytes: 1024 * 1024,
      onError: (error) => reported.push(error),
      handlers: HANDLERS,
      promptHelper: helper,
    });
    const session = new FakeSession();
    const ok = await router.route(request({ type: 'prompt.enhance', id: 'e4', data: { prompt: 'a fox' } }), session);
    expect(parseServerMessage(ok.frame)).toEqual({
      ok: true,
      value: { type: 'ack', id: 'e4', data: { prompt: 'a fox, golden light', notes: 'warmer' } },
    });
    const failed = await router.route(request({ type: 'prompt.enhance', id: 'e5', data: { prompt: 'bad' } }), session);
    expect(failed.errorCode).toBe('PROVIDER_ERROR');
    expect(reported).toHaveLength(1);
    expect(helper.calls.map((call) => call.caller.subject)).toEqual(['tester', 'tester']);
  });
});
