import type { Workspace } from '@app/protocol';
import { describe, expect, it } from 'vitest';
import type { EventDoc } from '../../src/db/models.js';
import { foldEvent, nextOrder, workspaceOf, type FoldedEvent } from '../../src/project-state/fold.js';
import type { ProjectState } from '../../src/project-state/project-state.js';
import { BatchView } from '../../src/write-path/batch-view.js';

function workspace(id: string, position: number, version = 1): Workspace {
  const at = '2026-01-01T00:00:00.000Z';
  return { id, projectId: 'p', name: id, position, version, data: {}, createdAt: at, updatedAt: at };
}

const created = (seq: number, w: Workspace): FoldedEvent => ({
  seq,
  type: 'workspace.created',
  data: { workspace: w },
});
const updated = (seq: number, w: Workspace): FoldedEvent => ({
  seq,
  type: 'workspace.updated',
  data: { workspace: w },
});
const deleted = (seq: number, id: string): FoldedEvent => ({ seq, type: 'workspace.deleted', data: { id } });
const reordered = (seq: number, order: string[]): FoldedEvent => ({
  seq,
  type: 'workspace.reordered',
  data: { order },
});

function emptyState(): ProjectState {
  return { epoch: undefined, seq: 0, order: [], workspaces: new Map(), dirty: new Set(), headDirty: false };
}

function stored(event: FoldedEvent): EventDoc {
  return { ...event, _id: `p:${event.seq}`, projectId: 'p', key: `~p:${event.seq}`, createdAt: new Date(0) };
}

describe('foldEvent', () => {
  it('folds creates, updates, reorders and deletes into seq, order and workspaces, naming the workspace each touched', () => {
    const state = emptyState();
    expect(foldEvent(state, created(1, workspace('a', 0)))).toBe('a');
    expect(foldEvent(state, created(2, workspace('b', 0)))).toBe('b');
    expect(state.order).toEqual(['b', 'a']);
    expect(foldEvent(state, updated(3, workspace('a', 1, 2)))).toBe('a');
    expect(state.workspaces.get('a')).toEqual({ workspace: workspace('a', 1, 2), seq: 3 });
    expect(foldEvent(state, reordered(4, ['a', 'b']))).toBeUndefined();
    expect(state.order).toEqual(['a', 'b']);
    expect(foldEvent(state, deleted(5, 'a'))).toBe('a');
    expect(state.seq).toBe(5);
    expect(state.order).toEqual(['b']);
    expect([...state.workspaces.keys()]).toEqual(['b']);
  });

  it("folds a video status into its workspace's `video` (order and version unchanged); one of an unknown workspace moves only the seq", () => {
    const state = emptyState();
    foldEvent(state, created(1, workspace('a', 0)));
    const order = state.order;
    const status = (seq: number, workspaceId: string, video: Record<string, unknown>): FoldedEvent => ({
      seq,
      type: 'video.status_update',
      data: { workspaceId, ...video },
    });
    expect(foldEvent(state, status(2, 'a', { jobId: 'j1', status: 'queued' }))).toBe('a');
    expect(state.seq).toBe(2);
    expect(state.order).toBe(order);
    expect(state.workspaces.get('a')).toEqual({
      workspace: { ...workspace('a', 0), video: { jobId: 'j1', status: 'queued' } },
      seq: 2,
    });
    expect(
      foldEvent(state, status(3, 'a', { jobId: 'j1', status: 'succeeded', progress: 1, videoUrl: '/videos/j1.mp4' })),
    ).toBe('a');
    expect(state.workspaces.get('a')?.workspace.video).toEqual({
      jobId: 'j1',
      status: 'succeeded',
      progress: 1,
      videoUrl: '/videos/j1.mp4',
    });
    expect(state.workspaces.get('a')?.workspace.version).toBe(1);
    expect(foldEvent(state, status(4, 'gone', { jobId: 'j2', status: 'queued' }))).toBe(undefined);
    expect(state.seq).toBe(4);
    expect([...state.workspaces.keys()]).toEqual(['a']);
  });

  it('gives a project state and a batch view over it the same project for the same events', () => {
    const events = [
      created(1, workspace('a', 0)),
      created(2, workspace('b', 5)),
      created(3, workspace('c', 1)),
      updated(4, workspace('b', 2, 2)),
      reordered(5, ['b', 'c', 'a']),
      deleted(6, 'c'),
    ].map(stored);
    const projected = emptyState();
    for (const event of events) foldEvent(projected, event);

    const base = emptyState();
    const view = new BatchView(base);
    for (const event of events) view.advance(event);

    expect(view.seq).toBe(projected.seq);
    expect(view.order).toEqual(projected.order);
    for (const id of ['a', 'b', 'c']) {
      const entry = projected.workspaces.get(id);
      expect(view.workspace(id)).toEqual(
        entry === undefined ? undefined : { ...entry.workspace, position: projected.order.indexOf(id) },
      );
    }
  });
});

describe('BatchView', () => {
  it('sees the events planned in its batch, and leaves the state it plans against untouched', () => {
    const state = emptyState();
    foldEvent(state, created(1, workspace('a', 0)));
    const before = { seq: state.seq, order: state.order, workspaces: new Map(state.workspaces) };
    const view = new BatchView(state);
    view.advance(stored(created(2, workspace('b', 0))));
    view.advance(stored(deleted(3, 'a')));
    expect(view.seq).toBe(3);
    expect(view.order).toEqual(['b']);
    expect(view.workspace('a')).toBeUndefined();
    expect(view.workspace('b')).toEqual(workspace('b', 0));
    expect(state).toMatchObject({ seq: before.seq, order: ['a'] });
    expect(state.order).toBe(before.order);
    expect(state.workspaces).toEqual(before.workspaces);
  });

  it('reports each workspace at its current position in the order', () => {
    const state = emptyState();
    foldEvent(state, created(1, workspace('a', 0)));
    foldEvent(state, created(2, workspace('b', 1)));
    const view = new BatchView(state);
    view.advance(stored(reordered(3, ['b', 'a'])));
    expect(view.workspace('a')?.position).toBe(1);
    expect(view.workspace('b')?.position).toBe(0);
  });
});

describe('nextOrder', () => {
  it('inserts a created workspace at its position (clamped), once', () => {
    expect(nextOrder(['a', 'b'], created(3, workspace('c', 1)))).toEqual(['a', 'c', 'b']);
    expect(nextOrder(['a'], created(2, workspace('c', 9)))).toEqual(['a', 'c']);
    const order = ['a', 'c'];
    expect(nextOrder(order, created(2, workspace('c', 0)))).toBe(order);
  });

  it('never changes the array it is given', () => {
    const order = Object.freeze(['a', 'b']) as string[];
    expect(nextOrder(order, deleted(3, 'a'))).toEqual(['b']);
    expect(nextOrder(order, reordered(3, ['b', 'a']))).toEqual(['b', 'a']);
    expect(nextOrder(order, updated(3, workspace('a', 0)))).toBe(order);
  });
});

describe('workspaceOf', () => {
  it('is the workspace a created or updated event carries, and undefined for the others', () => {
    expect(workspaceOf(created(1, workspace('a', 0)))).toEqual(workspace('a', 0));
    expect(workspaceOf(updated(1, workspace('a', 0)))).toEqual(workspace('a', 0));
    expect(workspaceOf(deleted(1, 'a'))).toBeUndefined();
    expect(workspaceOf(reordered(1, []))).toBeUndefined();
  });
});
