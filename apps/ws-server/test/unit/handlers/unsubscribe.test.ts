import { describe, expect, it } from 'vitest';
import { unsubscribe } from '../../../src/handlers/unsubscribe.js';
import { RequestContext } from '../../../src/request-context.js';
import { FakeSession } from '../../helpers/fake-session.js';

describe('unsubscribe handler', () => {
  it('ends the session subscription of the project and answers {} synchronously', () => {
    const session = new FakeSession();
    session.subscribe('a');
    session.subscribe('b');
    const result = unsubscribe({ projectId: 'a' }, new RequestContext(undefined as never, session, 'u1'));
    expect(result).toEqual({});
    expect(session.unsubscribed).toEqual([{ projectId: 'a', which: undefined }]);
    expect([...session.subscriptions.keys()]).toEqual(['b']);
  });

  it('answers {} for a project the session is not subscribed to', () => {
    const session = new FakeSession();
    expect(unsubscribe({ projectId: 'never' }, new RequestContext(undefined as never, session, undefined))).toEqual({});
    expect(session.unsubscribed).toEqual([{ projectId: 'never', which: undefined }]);
  });
});
