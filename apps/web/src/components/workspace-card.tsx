import { isPlaceholderId, videoModel, type ProjectStore, type VideoModelId, type Workspace } from '@app/client';
import { memo, useEffect, useId, useRef, useState, type DragEvent, type KeyboardEvent, type ReactNode } from 'react';
import { TEXT_MODELS, choicesOf, ratioLabel, readFields, settingsFor, type VideoSettings } from '../workspace-data.js';
import { EnhancePrompt } from './enhance-prompt.js';
import { VideoPanel } from './video-panel.js';

export interface MoveRequest {
  id: string;
  name: string;
  toIndex: number;
  byKeyboard: boolean;
}

interface CardProps {
  workspace: Workspace;
  index: number;
  count: number;
  /** A change of this tab to it is not confirmed yet. */
  pending: boolean;
  /** Give the move handle focus (it was moved by keyboard). */
  focusHandle: boolean;
  store: ProjectStore;
  onMove: (request: MoveRequest) => void;
}

const DRAG_TYPE = 'application/x-workspace-id';

interface Draft {
  text: string;
  /** The workspace version the edit started from: saving it after someone else's change is a conflict. */
  baseVersion: number | undefined;
}

/**
 * A text field that edits its own draft and saves it on Enter or when it loses focus (Escape undoes). Changes
 * of others arriving meanwhile do not touch the draft; saving it then is refused as a conflict.
 */
function useDraft(saved: string, baseVersion: () => number | undefined, save: (text: string, draft: Draft) => void) {
  const [draft, setDraft] = useState<Draft | undefined>();
  const commit = (): void => {
    if (draft !== undefined && draft.text !== saved) save(draft.text, draft);
    setDraft(undefined);
  };
  return {
    value: draft?.text ?? saved,
    onChange: (event: { target: { value: string } }) =>
      setDraft({ text: event.target.value, baseVersion: draft === undefined ? baseVersion() : draft.baseVersion }),
    onBlur: commit,
    commit,
    revert: () => setDraft(undefined),
  };
}

function WorkspaceCardView(props: CardProps): ReactNode {
  const { workspace, index, count, pending, store, onMove } = props;
  const id = useId();
  const handleRef = useRef<HTMLButtonElement>(null);
  const [dropTarget, setDropTarget] = useState(false);
  const creating = isPlaceholderId(workspace.id);
  const fields = readFields(workspace.data);

  // A refusal shows as a notice (the store keeps it) and rolls the card back; the promise needs nothing more.
  const save = (patch: Parameters<ProjectStore['update']>[1], draft?: Draft): void => {
    const options = draft?.baseVersion === undefined ? {} : { expectedVersion: draft.baseVersion };
    store.update(workspace.id, patch, options).catch(() => {});
  };
  const baseVersion = (): number | undefined => store.expectedVersion(workspace.id);
  const name = useDraft(workspace.name, baseVersion, (text, draft) => {
    if (text.trim() !== '') save({ name: text.trim() }, draft);
  });
  const prompt = useDraft(fields.prompt, baseVersion, (text, draft) =>
    save({ data: { ...workspace.data, prompt: text } }, draft),
  );
  // Whatever changes, the settings stay ones the model takes (another model may not take the length).
  const setSettings = (settings: Partial<VideoSettings>): void => {
    const next = { ...fields.settings, ...settings };
    save({ data: { ...workspace.data, settings: settingsFor(next.model, next) } });
  };
  const choices = choicesOf(fields.settings.model);
  const promptLimit = videoModel(fields.settings.model)?.promptMaxLength ?? 0;
  const promptLength = prompt.value.length;

  useEffect(() => {
    if (props.focusHandle) handleRef.current?.focus();
  }, [props.focusHandle, index]);

  const moveTo = (toIndex: number, byKeyboard: boolean): void => {
    if (toIndex < 0 || toIndex >= count || toIndex === index) return;
    onMove({ id: workspace.id, name: workspace.name, toIndex, byKeyboard });
  };
  const handleOnKeyDown = (event: KeyboardEvent): void => {
    const to = { ArrowUp: index - 1, ArrowDown: index + 1, Home: 0, End: count - 1 }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    moveTo(to, true);
  };
  const cardOnDrop = (event: DragEvent): void => {
    setDropTarget(false);
    const dragged = event.dataTransfer.getData(DRAG_TYPE);
    if (dragged === '' || dragged === workspace.id) return;
    event.preventDefault();
    onMove({ id: dragged, name: event.dataTransfer.getData('text/plain'), toIndex: index, byKeyboard: false });
  };

  return (
    <li
      className={`card${pending ? ' card-pending' : ''}${dropTarget ? ' card-drop' : ''}`}
      aria-labelledby={`${id}-title`}
      data-workspace-id={workspace.id}
      onDragOver={(event) => {
        if (!event.dataTransfer.types.includes(DRAG_TYPE)) return;
        event.preventDefault();
        setDropTarget(true);
      }}
      onDragLeave={() => setDropTarget(false)}
      onDrop={cardOnDrop}
    >
      <div className="card-head">
        <button
          ref={handleRef}
          type="button"
          className="handle"
          draggable={!creating}
          disabled={creating}
          aria-label={`Move ${workspace.name}, position ${index + 1} of ${count}. Use the arrow keys, or drag.`}
          onKeyDown={handleOnKeyDown}
          onDragStart={(event) => {
            event.dataTransfer.setData(DRAG_TYPE, workspace.id);
            event.dataTransfer.setData('text/plain', workspace.name);
            event.dataTransfer.effectAllowed = 'move';
          }}
        >
          <span aria-hidden="true">⠿</span>
        </button>
        <span className="position" id={`${id}-title`}>
          {index + 1}. <span className="visually-hidden">{workspace.name}</span>
        </span>
        <label className="visually-hidden" htmlFor={`${id}-name`}>
          Name
        </label>
        <input
          id={`${id}-name`}
          className="name"
          value={name.value}
          maxLength={200}
          disabled={creating}
          onChange={name.onChange}
          onBlur={name.onBlur}
          onKeyDown={(event) => {
            if (event.key === 'Enter') name.commit();
            if (event.key === 'Escape') name.revert();
          }}
        />
        {pending ? (
          <span className="saving" aria-label="Not saved yet">
            Saving…
          </span>
        ) : null}
        <button
          type="button"
          className="delete"
          disabled={creating}
          aria-label={`Delete ${workspace.name}`}
          onClick={() => void store.delete(workspace.id).catch(() => {})}
        >
          Delete
        </button>
      </div>
      <label htmlFor={`${id}-prompt`}>Prompt</label>
      <textarea
        id={`${id}-prompt`}
        rows={3}
        value={prompt.value}
        disabled={creating}
        placeholder="Describe the shot: subject, setting, light, camera"
        onChange={prompt.onChange}
        onBlur={prompt.onBlur}
        aria-describedby={`${id}-count`}
        onKeyDown={(event) => {
          if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) prompt.commit();
          if (event.key === 'Escape') prompt.revert();
        }}
      />
      <p id={`${id}-count`} className={`prompt-count${promptLength > promptLimit ? ' prompt-count-over' : ''}`}>
        {promptLength > promptLimit
          ? `${promptLength} characters: too long, ${videoModel(fields.settings.model)?.label ?? 'the model'} takes at most ${promptLimit}`
          : `${promptLength} / ${promptLimit} characters`}
      </p>
      <EnhancePrompt
        workspace={workspace}
        prompt={prompt.value}
        baseVersion={baseVersion}
        onAccept={(text, base) => {
          // The suggestion replaces an unsaved edit too; saved against the version it was asked for.
          prompt.revert();
          save({ data: { ...workspace.data, prompt: text } }, { text, baseVersion: base });
        }}
      />
      <div className="settings">
        <label>
          Model
          <select
            value={fields.settings.model}
            disabled={creating}
            onChange={(event) => setSettings({ model: event.target.value as VideoModelId })}
          >
            {TEXT_MODELS.map((model) => (
              <option key={model} value={model}>
                {videoModel(model)?.label ?? model}
              </option>
            ))}
          </select>
        </label>
        <label>
          Length
          <select
            value={fields.settings.durationSec}
            disabled={creating}
            onChange={(event) => setSettings({ durationSec: Number(event.target.value) })}
          >
            {choices.durations.map((sec) => (
              <option key={sec} value={sec}>
                {sec} s
              </option>
            ))}
          </select>
        </label>
        <label>
          Aspect ratio
          <select
            value={fields.settings.ratio}
            disabled={creating}
            onChange={(event) => setSettings({ ratio: event.target.value })}
          >
            {choices.ratios.map((ratio) => (
              <option key={ratio} value={ratio}>
                {ratioLabel(ratio)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <VideoPanel workspace={workspace} prompt={fields.prompt} settings={fields.settings} />
    </li>
  );
}

/** One workspace; re-rendered only when its own props change (a board of hundreds repaints one card per event). */
export const WorkspaceCard = memo(WorkspaceCardView);
