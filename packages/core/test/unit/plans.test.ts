import { ProtocolError, type Workspace } from '@app/protocol';
import { describe, expect, it } from 'vitest';
import {
  planCreate,
  planDelete,
  planReorder,
  planUpdate,
  planVideoStatus,
  type PlanOutcome,
  type PlanView,
} from '../../src/write-path/plans.js';
import { workspaceBytes } from '../../src/project-state/project-bytes.js';

const NOW = '2026-01-02T03:04:05.000Z';

function workspace(id: string, position: number, overrides: Partial<Workspace> = {}): Workspace {
  return {
    id,
    projectId: 'p',
    name: id.toUpperCase(),
    position,
    version: 1,
    data: { prompt: id },
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** A project as a plan sees it, with a fixed time and predictable new ids. */
function view(workspaces: Workspace[], seq = workspaces.length): PlanView {
  let ids = 0;
  return {
    seq,
    order: workspaces.map((w) => w.id),
    now: NOW,
    workspace: (id) => workspaces.find((w) => w.id === id),
    newWorkspaceId: () => `new-${++ids}`,
    bytes: workspaces.reduce((sum, w) => sum + workspaceBytes({ workspace: w, seq: 0 }), 0),
  };
}

function refusalOf(outcome: PlanOutcome): ProtocolError {
  if (!('refusal' in outcome)) throw new Error(`expected a refusal, got ${JSON.stringify(outcome)}`);
  expect(outcome.refusal).toBeInstanceOf(ProtocolError);
  return outcome.refusal;
}

describe('planCreate', () => {
  it('appends a new workspace at version 1 with the batch time and an empty data object by default', () => {
    expect(planCreate({ projectId: 'p', name: 'Intro' }, view([workspace('a', 0)]))).toEqual({
      event: {
        type: 'workspace.created',
        data: {
          workspace: {
            id: 'new-1',
            projectId: 'p',
            name: 'Intro',
            position: 1,
            version: 1,
            data: {},
            createdAt: NOW,
            updatedAt: NOW,
          },
        },
      },
    });
  });

  it('inserts at the requested position, and clamps a position past the end to the end', () => {
    const current = view([workspace('a', 0), workspace('b', 1)]);
    const at = (position: number) => {
      const outcome = planCreate({ projectId: 'p', name: 'x', position, data: { k: 1 } }, current);
      if (!('event' in outcome)) throw new Error('refused');
      return outcome.event.data.workspace;
    };
    expect(at(0)).toMatchObject({ position: 0, data: { k: 1 } });
    expect(at(1).position).toBe(1);
    expect(at(99).position).toBe(2);
  });

  it('creates the first workspace of a project that has no events', () => {
    const outcome = planCreate({ projectId: 'fresh', name: 'first' }, view([], 0));
    expect(outcome).toMatchObject({
      event: { type: 'workspace.created', data: { workspace: { projectId: 'fresh', position: 0 } } },
    });
  });
});

describe('planUpdate', () => {
  const a = workspace('a', 0, { version: 3 });

  it('applies the patch, bumps the version and the update time, and keeps the rest', () => {
    expect(planUpdate({ id: 'a', patch: { name: 'renamed' } }, view([a]))).toEqual({
      event: { type: 'workspace.updated', data: { workspace: { ...a, name: 'renamed', version: 4, updatedAt: NOW } } },
    });
    expect(planUpdate({ id: 'a', patch: { data: { prompt: 'new' } }, expectedVersion: 3 }, view([a]))).toEqual({
      event: {
        type: 'workspace.updated',
        data: { workspace: { ...a, data: { prompt: 'new' }, version: 4, updatedAt: NOW } },
      },
    });
  });

  it('refuses a workspace that does not exist with NOT_FOUND', () => {
    const refusal = refusalOf(planUpdate({ id: 'missing', patch: { name: 'x' } }, view([a])));
    expect(refusal.code).toBe('NOT_FOUND');
    expect(refusal.message).toBe('Workspace missing does not exist');
  });

  it('refuses another expected version with CONFLICT carrying the current workspace', () => {
    const refusal = refusalOf(planUpdate({ id: 'a', patch: { name: 'x' }, expectedVersion: 2 }, view([a])));
    expect(refusal.code).toBe('CONFLICT');
    expect(refusal.message).toBe('Workspace is at version 3, not 2');
    expect(refusal.details).toEqual({ workspace: a });
  });
});

describe('planDelete', () => {
  const a = workspace('a', 0, { version: 2 });

  it('deletes a live workspace, at any version or the expected one', () => {
    const deleted = { event: { type: 'workspace.deleted', data: { id: 'a' } } };
    expect(planDelete({ id: 'a' }, view([a]))).toEqual(deleted);
    expect(planDelete({ id: 'a', expectedVersion: 2 }, view([a]))).toEqual(deleted);
  });

  it('refuses a missing workspace (NOT_FOUND) and another expected version (CONFLICT)', () => {
    expect(refusalOf(planDelete({ id: 'b' }, view([a]))).code).toBe('NOT_FOUND');
    const conflict = refusalOf(planDelete({ id: 'a', expectedVersion: 1 }, view([a])));
    expect(conflict.code).toBe('CONFLICT');
    expect(conflict.details).toEqual({ workspace: a });
  });
});

describe('planReorder', () => {
  const current = view([workspace('a', 0), workspace('b', 1), workspace('c', 2)]);

  it('stores a permutation of the live workspaces', () => {
    expect(planReorder({ projectId: 'p', order: ['c', 'a', 'b'] }, current)).toEqual({
      event: { type: 'workspace.reordered', data: { order: ['c', 'a', 'b'] } },
    });
  });

  it('refuses a project without events with NOT_FOUND', () => {
    const refusal = refusalOf(planReorder({ projectId: 'nowhere', order: [] }, view([], 0)));
    expect(refusal.code).toBe('NOT_FOUND');
    expect(refusal.message).toBe('Project nowhere does not exist');
  });

  it.each([
    ['a missing id', ['a', 'b']],
    ['an unknown id', ['a', 'b', 'x']],
    ['a repeated id', ['a', 'b', 'b']],
    ['an extra id', ['a', 'b', 'c', 'd']],
  ])('refuses an order with %s with CONFLICT carrying the current order', (_, order) => {
    const refusal = refusalOf(planReorder({ projectId: 'p', order }, current));
    expect(refusal.code).toBe('CONFLICT');
    expect(refusal.message).toBe("order is not a permutation of the project's workspaces");
    expect(refusal.details).toEqual({ order: ['a', 'b', 'c'] });
  });
});

describe('planVideoStatus', () => {
  const status = (jobId: string, value: string, extra: Record<string, unknown> = {}) =>
    ({ workspaceId: 'a', jobId, status: value, ...extra }) as Parameters<typeof planVideoStatus>[0];
  const withVideo = (video: Workspace['video']) => view([workspace('a', 0, { video })]);

  it('starts a job with `queued` on a workspace with no job, or whose job has ended', () => {
    expect(planVideoStatus(status('j1', 'queued'), view([workspace('a', 0)]))).toEqual({
      event: { type: 'video.status_update', data: status('j1', 'queued') },
    });
    for (const ended of ['succeeded', 'failed', 'cancelled'] as const) {
      expect(planVideoStatus(status('j2', 'queued'), withVideo({ jobId: 'j1', status: ended }))).toHaveProperty(
        'event',
      );
    }
  });

  it("moves the workspace's current job on, up to and including its final status", () => {
    const running = status('j1', 'running', { progress: 0.5 });
    expect(planVideoStatus(running, withVideo({ jobId: 'j1', status: 'queued' }))).toEqual({
      event: { type: 'video.status_update', data: running },
    });
    const done = status('j1', 'succeeded', { progress: 1, videoUrl: '/videos/j1.mp4' });
    expect(planVideoStatus(done, withVideo({ jobId: 'j1', status: 'running', progress: 0.5 }))).toHaveProperty('event');
  });

  it('refuses a status of an unknown or older job (NOT_FOUND), one after the final status and a second active job (CONFLICT)', () => {
    expect(refusalOf(planVideoStatus(status('j1', 'queued'), view([])))).toMatchObject({ code: 'NOT_FOUND' });
    expect(refusalOf(planVideoStatus(status('j1', 'running'), view([workspace('a', 0)])))).toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(
      refusalOf(planVideoStatus(status('old', 'running'), withVideo({ jobId: 'j2', status: 'queued' }))),
    ).toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(
      refusalOf(planVideoStatus(status('j1', 'running'), withVideo({ jobId: 'j1', status: 'cancelled' }))),
    ).toMatchObject({
      code: 'CONFLICT',
    });
    expect(
      refusalOf(planVideoStatus(status('j2', 'queued'), withVideo({ jobId: 'j1', status: 'running' }))),
    ).toMatchObject({
      code: 'CONFLICT',
    });
  });
});

describe('project limits', () => {
  const limits = { maxWorkspaces: 2, maxBytes: 1_200 }; // a workspace counts its data's JSON, its name and 200

  it('refuses a create past the workspace cap with PROJECT_LIMIT and what the project holds', () => {
    expect('event' in planCreate({ projectId: 'p', name: 'b' }, view([workspace('a', 0)]), limits)).toBe(true);
    const refusal = refusalOf(
      planCreate({ projectId: 'p', name: 'c' }, view([workspace('a', 0), workspace('b', 1)]), limits),
    );
    expect(refusal.code).toBe('PROJECT_LIMIT');
    expect(refusal.details).toMatchObject({ limit: 'workspaces', workspaces: 2, maxWorkspaces: 2 });
  });

  it('refuses a create or an update that grows the project past its bytes, and lets an update shrink it', () => {
    const big = { text: 'x'.repeat(700) };
    const a = workspace('a', 0, { data: big });
    expect(refusalOf(planCreate({ projectId: 'p', name: 'b', data: big }, view([a]), limits)).details).toMatchObject({
      limit: 'bytes',
      maxBytes: 1_200,
    });
    expect('event' in planCreate({ projectId: 'p', name: 'b' }, view([a]), limits)).toBe(true);
    const c = workspace('c', 0, { data: { text: 'x'.repeat(300) } });
    expect(
      refusalOf(planUpdate({ id: 'c', patch: { data: big } }, view([c]), { maxWorkspaces: 10, maxBytes: 700 })).code,
    ).toBe('PROJECT_LIMIT');
    // over the cap already (it was lowered): shrinking is allowed, growing is not
    const over = { maxWorkspaces: 10, maxBytes: 100 };
    expect('event' in planUpdate({ id: 'a', patch: { data: { text: 'short' } } }, view([a]), over)).toBe(true);
    expect(refusalOf(planUpdate({ id: 'a', patch: { data: { text: 'x'.repeat(800) } } }, view([a]), over)).code).toBe(
      'PROJECT_LIMIT',
    );
  });
});
