import type { ReactNode } from 'react';
import { ProjectPage } from './components/project-page.js';

/** Project ids the server accepts (docs/protocol.md#workspace-object). */
const PROJECT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The page: the project named by `?project=` (default `demo`). */
export function App(): ReactNode {
  const projectId = new URLSearchParams(location.search).get('project') ?? 'demo';
  if (!PROJECT_ID.test(projectId)) {
    return (
      <main className="page">
        <p role="alert" className="notice notice-error">
          “{projectId}” is not a project name: use 1 to 64 letters, digits, “-” or “_”.
        </p>
      </main>
    );
  }
  return <ProjectPage projectId={projectId} />;
}
