import type { RequestData, ServerEvent, Workspace } from '@app/protocol';

/** A change made by this client that the server has not confirmed yet (its event has not been applied). */
export type PendingChange =
  | { readonly kind: 'create'; readonly requestId: string; readonly workspace: Workspace }
  | {
      readonly kind: 'update';
      readonly requestId: string;
      readonly workspaceId: string;
      readonly patch: RequestData<'workspace.update'>['patch'];
    }
  | { readonly kind: 'delete'; readonly requestId: string; readonly workspaceId: string }
  | { readonly kind: 'reorder'; readonly requestId: string; readonly order: readonly string[] };

/**
 * Id of the stand-in shown for a workspace being created. `~` is outside the id alphabet of the protocol,
 * so it never equals a real id.
 */
export function placeholderId(requestId: string): string {
  return `~${requestId}`;
}

/** Whether `id` is the stand-in of a workspace still being created (not usable in requests yet). */
export function isPlaceholderId(id: string): boolean {
  return id.startsWith('~');
}

/** Puts `list` in the order of `order`; workspaces missing from it (created meanwhile) keep their place at the end. */
function ordered(list: readonly Workspace[], order: readonly string[]): readonly Workspace[] {
  const byId = new Map(list.map((w) => [w.id, w]));
  const out: Workspace[] = [];
  for (const id of order) {
    const workspace = byId.get(id);
    if (workspace === undefined) continue;
    out.push(workspace);
    byId.delete(id);
  }
  for (const workspace of byId.values()) out.push(workspace);
  return out;
}

/** Replaces one workspace, keeping every other object as it was (rows that did not change need no repaint). */
function replaced(list: readonly Workspace[], id: string, next: (w: Workspace) => Workspace): readonly Workspace[] {
  const index = list.findIndex((w) => w.id === id);
  if (index === -1) return list;
  const out = list.slice();
  out[index] = next(list[index]!);
  return out;
}

/** Applies one server event to the ordered workspace list of its project. */
export function applyEvent(list: readonly Workspace[], event: ServerEvent): readonly Workspace[] {
  switch (event.type) {
    case 'workspace.created': {
      const { workspace } = event.data;
      const out = list.filter((w) => w.id !== workspace.id);
      out.splice(Math.min(workspace.position, out.length), 0, workspace);
      return out;
    }
    case 'workspace.updated':
      return replaced(list, event.data.workspace.id, () => event.data.workspace);
    case 'workspace.deleted':
      return list.filter((w) => w.id !== event.data.id);
    case 'workspace.reordered':
      return ordered(list, event.data.order);
    case 'video.status_update': {
      const { workspaceId, ...video } = event.data;
      return replaced(list, workspaceId, (w) => ({ ...w, video }));
    }
  }
}

/** Shows one pending change on top of the confirmed list. */
export function applyChange(list: readonly Workspace[], change: PendingChange): readonly Workspace[] {
  switch (change.kind) {
    case 'create':
      return list.some((w) => w.id === change.workspace.id) ? list : [...list, change.workspace];
    case 'update':
      return replaced(list, change.workspaceId, (w) => ({
        ...w,
        ...(change.patch.name === undefined ? {} : { name: change.patch.name }),
        ...(change.patch.data === undefined ? {} : { data: change.patch.data }),
      }));
    case 'delete':
      return list.filter((w) => w.id !== change.workspaceId);
    case 'reorder':
      return ordered(list, change.order);
  }
}
