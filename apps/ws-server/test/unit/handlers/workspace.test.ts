import type { Core } from '@app/core';
import { createTestCore } from '@app/core/testing';
import type { ServerEvent } from '@app/protocol';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  workspaceCreate,
  workspaceDelete,
  workspaceList,
  workspaceReorder,
  workspaceUpdate,
} from '../../../src/handlers/workspace.js';
import { RequestContext } from '../../../src/request-context.js';
import { FakeSession } from '../../helpers/fake-session.js';

let core: Core & { dbName: string };

beforeAll(async () => {
  core = await createTestCore(inject('mongodbUri'));
});

afterAll(async () => {
  await core.close();
});

describe('workspace handlers', () => {
  it('create, update, reorder, delete and list through the service, as the session and with its request ids', async () => {
    const session = new FakeSession();
    const projectId = 'handlers-ws';
    const events: ServerEvent[] = [];
    const stop = core.bus.subscribe(projectId, (event) => events.push(event));
    try {
      const ctx = (id: string) => new RequestContext(core.service, session, id);
      const { workspace: a } = await workspaceCreate({ projectId, name: 'A', data: { prompt: 'fox' } }, ctx('c1'));
      const { workspace: b } = await workspaceCreate({ projectId, name: 'B' }, ctx('c2'));
      expect(a).toMatchObject({ projectId, name: 'A', position: 0, version: 1, data: { prompt: 'fox' } });
      const { workspace: renamed } = await workspaceUpdate(
        { id: a.id, patch: { name: 'A2' }, expectedVersion: 1 },
        ctx('u1'),
      );
      expect(renamed).toMatchObject({ id: a.id, name: 'A2', version: 2 });
      expect(await workspaceReorder({ projectId, order: [b.id, a.id] }, ctx('r1'))).toEqual({ order: [b.id, a.id] });
      const listed = await workspaceList({ projectId }, ctx('l1'));
      expect(listed.seq).toBe(4);
      expect(listed.workspaces.map((w) => [w.name, w.position])).toEqual([
        ['B', 0],
        ['A2', 1],
      ]);
      expect(await workspaceDelete({ id: b.id }, ctx('d1'))).toEqual({ id: b.id });
      expect((await workspaceList({ projectId }, ctx('l2'))).workspaces.map((w) => w.name)).toEqual(['A2']);
      expect(events.map((event) => [event.type, event.origin])).toEqual([
        ['workspace.created', { sessionId: session.sessionId, requestId: 'c1' }],
        ['workspace.created', { sessionId: session.sessionId, requestId: 'c2' }],
        ['workspace.updated', { sessionId: session.sessionId, requestId: 'u1' }],
        ['workspace.reordered', { sessionId: session.sessionId, requestId: 'r1' }],
        ['workspace.deleted', { sessionId: session.sessionId, requestId: 'd1' }],
      ]);
    } finally {
      stop();
    }
  });

  it('passes the service refusals through: CONFLICT on a stale version, FORBIDDEN outside the token', async () => {
    const session = new FakeSession();
    const { workspace } = await workspaceCreate(
      { projectId: 'handlers-refusals', name: 'A' },
      new RequestContext(core.service, session, 'refusals-c1'), // request ids are idempotency keys per subject
    );
    await expect(
      workspaceUpdate(
        { id: workspace.id, patch: { name: 'late' }, expectedVersion: 7 },
        new RequestContext(core.service, session, 'refusals-u1'),
      ),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    const outsider = new FakeSession({ subject: 'outsider', projects: new Set(['elsewhere']) });
    await expect(
      workspaceList({ projectId: 'handlers-refusals' }, new RequestContext(core.service, outsider, 'l1')),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
