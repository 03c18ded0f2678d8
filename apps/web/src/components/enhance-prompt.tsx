import { isPlaceholderId, type RequestError, type Workspace } from '@app/client';
import { useClient } from '@app/client/react';
import { useId, useState, type ReactNode } from 'react';
import { budgetMessage, errorMessage } from '../error-message.js';

type Offer =
  | { kind: 'idle' }
  | { kind: 'asking' }
  | { kind: 'offered'; prompt: string; notes: string | undefined; baseVersion: number | undefined }
  | { kind: 'failed'; message: string };

/** Why enhancing did not work, as a sentence: the prompt helper's own failures read differently from a refused change. */
function enhanceFailure(error: RequestError): string {
  switch (error.code) {
    case 'UNAVAILABLE':
    case 'TIMEOUT':
      return 'The prompt helper is not available right now. Try again in a moment.';
    case 'PROVIDER_ERROR':
      return 'The prompt helper gave an answer that cannot be used. Try again.';
    case 'RATE_LIMITED':
      return budgetMessage(error) ?? 'Too many prompts enhanced at once. Wait a moment and try again.';
    default:
      return errorMessage(error);
  }
}

export interface EnhancePromptProps {
  workspace: Workspace;
  /** The prompt as shown (an unsaved edit included): what gets enhanced. */
  prompt: string;
  /** The workspace version the suggestion is based on, taken when asking. */
  baseVersion: () => number | undefined;
  /** Saves the accepted suggestion; a change by someone else since asking makes it a conflict. */
  onAccept: (prompt: string, baseVersion: number | undefined) => void;
}

/**
 * "Enhance prompt" (`prompt.enhance`): asks the server's language model for a better prompt and offers it;
 * nothing changes until it is accepted ("Use this prompt"), and "Keep mine" drops it.
 */
export function EnhancePrompt(props: EnhancePromptProps): ReactNode {
  const client = useClient();
  const id = useId();
  const [offer, setOffer] = useState<Offer>({ kind: 'idle' });
  const creating = isPlaceholderId(props.workspace.id);

  const ask = (): void => {
    const baseVersion = props.baseVersion();
    setOffer({ kind: 'asking' });
    client.enhancePrompt({ prompt: props.prompt, workspaceId: props.workspace.id }).then(
      (ack) => setOffer({ kind: 'offered', prompt: ack.prompt, notes: ack.notes, baseVersion }),
      (error: RequestError) => setOffer({ kind: 'failed', message: enhanceFailure(error) }),
    );
  };

  return (
    <div className="enhance">
      <button
        type="button"
        disabled={creating || offer.kind === 'asking' || props.prompt.trim() === ''}
        aria-describedby={offer.kind === 'idle' ? undefined : `${id}-offer`}
        onClick={ask}
      >
        {offer.kind === 'asking' ? 'Enhancing…' : 'Enhance prompt'}
      </button>
      {offer.kind === 'failed' ? (
        <p id={`${id}-offer`} role="alert" className="notice notice-error">
          {offer.message}
        </p>
      ) : null}
      {offer.kind === 'offered' ? (
        <section id={`${id}-offer`} className="suggestion" aria-label="Suggested prompt">
          <p className="suggestion-label">Suggested prompt</p>
          <blockquote className="suggestion-text">{offer.prompt}</blockquote>
          {offer.notes === undefined ? null : <p className="muted">{offer.notes}</p>}
          <div className="suggestion-actions">
            <button
              type="button"
              onClick={() => {
                props.onAccept(offer.prompt, offer.baseVersion);
                setOffer({ kind: 'idle' });
              }}
            >
              Use this prompt
            </button>
            <button type="button" onClick={() => setOffer({ kind: 'idle' })}>
              Keep mine
            </button>
          </div>
        </section>
      ) : null}
    </div>
  );
}
