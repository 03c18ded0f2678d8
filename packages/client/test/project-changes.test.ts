import type { ServerEvent, Workspace } from '@app/protocol';
import { describe, expect, it } from 'vitest';
import { applyChange, applyEvent, isPlaceholderId, placeholderId } from '../src/project-changes.js';

const at = '2026-01-01T00:00:00.000Z';
function ws(id: string, position: number, name = id): Workspace {
  return { id, projectId: 'p', name, position, version: 1, data: {}, createdAt: at, updatedAt: at };
}
function event<TEvent extends ServerEvent>(e: Omit<TEvent, 'projectId' | 'seq'>): ServerEvent {
  return { projectId: 'p', seq: 1, ...e } as ServerEvent;
}
const ids = (list: readonly Workspace[]): string[] => list.map((w) => w.id);

describe('applyEvent', () => {
  const list = [ws('a', 0), ws('b', 1), ws('c', 2)];

  it('inserts a created workspace at its position, once', () => {
    const created = event({ type: 'workspace.created', data: { workspace: ws('x', 1) } });
    expect(ids(applyEvent(list, created))).toEqual(['a', 'x', 'b', 'c']);
    expect(ids(applyEvent(applyEvent(list, created), created))).toEqual(['a', 'x', 'b', 'c']);
    const far = event({ type: 'workspace.created', data: { workspace: ws('y', 99) } });
    expect(ids(applyEvent(list, far))).toEqual(['a', 'b', 'c', 'y']);
  });

  it('replaces an updated workspace and keeps the other objects', () => {
    const next = applyEvent(list, event({ type: 'workspace.updated', data: { workspace: ws('b', 1, 'B') } }));
    expect(next.map((w) => w.name)).toEqual(['a', 'B', 'c']);
    expect(next[0]).toBe(list[0]);
    expect(next[2]).toBe(list[2]);
  });

  it('deletes, reorders (unknown ids ignored, missing ones kept at the end) and sets the video', () => {
    expect(ids(applyEvent(list, event({ type: 'workspace.deleted', data: { id: 'b' } })))).toEqual(['a', 'c']);
    const reordered = event({ type: 'workspace.reordered', data: { order: ['c', 'zz', 'a'] } });
    expect(ids(applyEvent(list, reordered))).toEqual(['c', 'a', 'b']);
    const video = event({
      type: 'video.status_update',
      data: { workspaceId: 'c', jobId: 'j1', status: 'running', progress: 0.4 },
    });
    expect(applyEvent(list, video)[2]!.video).toEqual({ jobId: 'j1', status: 'running', progress: 0.4 });
  });
});

describe('applyChange', () => {
  const list = [ws('a', 0), ws('b', 1)];

  it('shows a create as a stand-in at the end, with an id no server id can equal', () => {
    const id = placeholderId('r1');
    expect(isPlaceholderId(id)).toBe(true);
    expect(isPlaceholderId('a')).toBe(false);
    const next = applyChange(list, { kind: 'create', requestId: 'r1', workspace: ws(id, 2) });
    expect(ids(next)).toEqual(['a', 'b', id]);
  });

  it('merges an update (name and/or data), hides a delete, applies a reorder', () => {
    const renamed = applyChange(list, { kind: 'update', requestId: 'r', workspaceId: 'a', patch: { name: 'A' } });
    expect(renamed[0]).toMatchObject({ name: 'A', data: {} });
    const data = applyChange(list, { kind: 'update', requestId: 'r', workspaceId: 'b', patch: { data: { k: 1 } } });
    expect(data[1]).toMatchObject({ name: 'b', data: { k: 1 } });
    expect(ids(applyChange(list, { kind: 'delete', requestId: 'r', workspaceId: 'a' }))).toEqual(['b']);
    expect(ids(applyChange(list, { kind: 'reorder', requestId: 'r', order: ['b', 'a'] }))).toEqual(['b', 'a']);
  });
});
