import type { ProjectStore } from '@app/client';
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { DEFAULT_SETTINGS } from '../workspace-data.js';

/** Adds a workspace at the end of the board. */
export function NewWorkspaceForm(props: { store: ProjectStore }): ReactNode {
  const [name, setName] = useState('');
  const id = useId();
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const trimmed = name.trim();
    if (trimmed === '') return;
    setName('');
    // Shown at once; a refusal appears as a notice (the store keeps it), so the promise needs no handler here.
    props.store.create({ name: trimmed, data: { prompt: '', settings: DEFAULT_SETTINGS } }).catch(() => {});
  };
  return (
    <form className="new-workspace" onSubmit={submit}>
      <label htmlFor={id}>New workspace</label>
      <input
        id={id}
        value={name}
        maxLength={200}
        placeholder="Name, e.g. Opening shot"
        onChange={(event) => setName(event.target.value)}
      />
      <button type="submit" disabled={name.trim() === ''}>
        Add
      </button>
    </form>
  );
}
