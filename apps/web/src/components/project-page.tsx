import { useProject } from '@app/client/react';
import type { ReactNode } from 'react';
import { errorMessage } from '../error-message.js';
import { Board } from './board.js';
import { ConnectionBadge } from './connection-badge.js';
import { FailureNotices } from './failure-notices.js';
import { NewWorkspaceForm } from './new-workspace-form.js';

/** One project: its header with the connection badge, refused changes, the form to add one, the board. */
export function ProjectPage(props: { projectId: string }): ReactNode {
  const [project, store] = useProject(props.projectId);
  return (
    <div className="page">
      <header className="page-header">
        <div>
          <p className="eyebrow">Project</p>
          <h1>{props.projectId}</h1>
        </div>
        <ConnectionBadge queued={project.queued} />
      </header>
      <main>
        <FailureNotices project={project} store={store} />
        {project.status === 'failed' && project.error !== undefined ? (
          <p role="alert" className="notice notice-error">
            This project cannot be opened. {errorMessage(project.error)}
          </p>
        ) : null}
        <NewWorkspaceForm store={store} />
        {project.status === 'loading' ? (
          <p className="muted" aria-live="polite">
            Loading the workspaces…
          </p>
        ) : (
          <Board project={project} store={store} />
        )}
      </main>
    </div>
  );
}
