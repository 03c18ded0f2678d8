import { useSyncExternalStore } from 'react';
import type { ProjectSnapshot, ProjectStore } from '../project-store.js';
import { useClient } from './client-context.js';

/**
 * The live state of a project and the store to change it with: `const [project, store] = useProject(id)`.
 * Re-renders when the snapshot changes (a new object only then).
 */
export function useProject(projectId: string): [ProjectSnapshot, ProjectStore] {
  const store = useClient().project(projectId);
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
  return [snapshot, store];
}
