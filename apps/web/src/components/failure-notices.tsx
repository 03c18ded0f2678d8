import type { ChangeFailure, ProjectSnapshot, ProjectStore } from '@app/client';
import type { ReactNode } from 'react';
import { failureMessage } from '../error-message.js';

function FailureNotice(props: { failure: ChangeFailure; name: string | undefined; store: ProjectStore }): ReactNode {
  const { failure, name, store } = props;
  const conflict =
    failure.error.code === 'CONFLICT' && failure.workspaceId !== undefined && failure.patch !== undefined;
  const retry = failure.retry;
  const overwrite = (): void => {
    if (failure.workspaceId === undefined || failure.patch === undefined) return;
    store.dismiss(failure.id);
    // A refusal of this write comes back as a new notice; nothing else to do with the promise here.
    store.update(failure.workspaceId, failure.patch, { overwrite: true }).catch(() => {});
  };
  return (
    <li
      className={`notice ${conflict ? 'notice-conflict' : 'notice-error'}`}
      role="alert"
      data-code={failure.error.code}
      data-outcome={failure.outcome}
    >
      <p>{failureMessage(failure, name)}</p>
      {retry !== undefined ? (
        <div className="notice-actions">
          {/* The same request again (same id): applied at most once. A new failure comes back as a new notice. */}
          <button type="button" onClick={() => void retry().catch(() => {})}>
            Try again
          </button>
          <button type="button" onClick={() => store.dismiss(failure.id)}>
            Undo on this page
          </button>
        </div>
      ) : conflict ? (
        <div className="notice-actions">
          <button type="button" onClick={() => store.dismiss(failure.id)}>
            Reload their version
          </button>
          <button type="button" className="danger" onClick={overwrite}>
            Overwrite with mine
          </button>
        </div>
      ) : (
        <div className="notice-actions">
          <button type="button" onClick={() => store.dismiss(failure.id)}>
            Dismiss
          </button>
        </div>
      )}
    </li>
  );
}

/**
 * Changes that did not go through, each as a sentence: a conflict offers to reload theirs or overwrite with mine;
 * a change the server did not confirm (it may have been applied) offers to try again with the same request.
 */
export function FailureNotices(props: { project: ProjectSnapshot; store: ProjectStore }): ReactNode {
  const { failures, workspaces } = props.project;
  if (failures.length === 0) return null;
  return (
    <ul className="notices" aria-label="Changes that did not work">
      {failures.map((failure) => (
        <FailureNotice
          key={failure.id}
          failure={failure}
          name={workspaces.find((w) => w.id === failure.workspaceId)?.name}
          store={props.store}
        />
      ))}
    </ul>
  );
}
