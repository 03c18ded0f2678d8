import type { ProjectSnapshot, ProjectStore } from '@app/client';
import { useCallback, useState, type ReactNode } from 'react';
import { WorkspaceCard, type MoveRequest } from './workspace-card.js';

/** The ordered board: one card per workspace; drag a card, or move it with the arrow keys on its handle. */
export function Board(props: { project: ProjectSnapshot; store: ProjectStore }): ReactNode {
  const { project, store } = props;
  const [focusId, setFocusId] = useState<string | undefined>();
  const [announcement, setAnnouncement] = useState('');
  const count = project.workspaces.length;

  const move = useCallback(
    ({ id, name, toIndex, byKeyboard }: MoveRequest) => {
      // A refusal comes back as a notice (the store keeps it) and the card returns to its place.
      store.move(id, toIndex).catch(() => {});
      setFocusId(byKeyboard ? id : undefined);
      setAnnouncement(`${name} moved to position ${toIndex + 1}.`);
    },
    [store],
  );

  if (count === 0) return <p className="muted">No workspaces yet: add the first one above.</p>;
  return (
    <>
      <ol className="board" aria-label="Workspaces, in order">
        {project.workspaces.map((workspace, index) => (
          <WorkspaceCard
            key={workspace.id}
            workspace={workspace}
            index={index}
            count={count}
            pending={project.pendingIds.has(workspace.id)}
            focusHandle={focusId === workspace.id}
            store={store}
            onMove={move}
          />
        ))}
      </ol>
      <p className="visually-hidden" aria-live="assertive">
        {announcement}
      </p>
    </>
  );
}
