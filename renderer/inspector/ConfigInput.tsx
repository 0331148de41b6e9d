import { useEffect, useId, useState } from 'react';
import type { ValidationIssue } from '../../shared/flow/validate.js';
import type { ApiOutputs, PreloadApi } from '../../shared/api/contract.js';
import { fieldText, offeredChoices, parseFieldText, rangeText, type ConfigField } from '../editor/config-form.js';
import { useApp } from '../state/store-context.js';
import { FilePickerDialog } from './FilePickerDialog.js';
import { IssueList } from './IssueList.js';

/** One generated settings control; keeps the typed text until it parses, then stores the value. */
export function ConfigInput({ field, value, issues, listChoices, onChange }: { field: ConfigField; value: unknown; issues: ValidationIssue[]; listChoices?: (() => Promise<string[]>) | undefined; onChange(value: unknown): void }) {
  const id = useId();
  const [text, setText] = useState(() => fieldText(field, value));
  const [error, setError] = useState<string | null>(null);

  // An undo or another edit changed the stored value: show it, unless it is what the text means.
  useEffect(() => {
    setText((current) => {
      const parsed = parseFieldText(field, current);
      return parsed.ok && JSON.stringify(parsed.value) === JSON.stringify(value) ? current : fieldText(field, value);
    });
  }, [field, value]);

  const commit = (next: string) => {
    setText(next);
    const parsed = parseFieldText(field, next);
    if (!parsed.ok) {
      setError(parsed.message);
      return;
    }
    setError(null);
    onChange(parsed.value);
  };

  const describedBy = `${id}-hint`;
  const placeholder = field.defaultValue !== undefined && field.kind !== 'json' ? `${fieldText(field, field.defaultValue)} (default)` : undefined;
  const invalid = error !== null || issues.length > 0;
  let control;
  if (field.kind === 'boolean') {
    const checked = typeof value === 'boolean' ? value : field.defaultValue === true;
    control = <input id={id} type="checkbox" className="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} />;
  } else if (field.kind === 'enum') {
    control = (
      <select id={id} className="select" value={typeof value === 'string' ? value : ''} onChange={(e) => onChange(e.target.value || undefined)} aria-invalid={invalid}>
        <option value="">{field.defaultValue !== undefined ? `${String(field.defaultValue)} (default)` : 'Choose…'}</option>
        {field.options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    );
  } else if (field.kind === 'json') {
    control = <textarea id={id} className="input input--code" rows={4} value={text} onChange={(e) => commit(e.target.value)} aria-invalid={invalid} aria-describedby={describedBy} spellCheck={false} placeholder={field.defaultValue !== undefined ? JSON.stringify(field.defaultValue) : undefined} />;
  } else if (field.format === 'broker-choice' && listChoices) {
    control = <ChoiceControl id={id} field={field} text={text} invalid={invalid} describedBy={describedBy} placeholder={placeholder} listChoices={listChoices} onText={commit} />;
  } else if (field.format === 'file-path') {
    control = <FilePathControl id={id} field={field} text={text} invalid={invalid} describedBy={describedBy} placeholder={placeholder} onText={commit} />;
  } else {
    control = (
      <input
        id={id}
        className="input"
        type="text"
        inputMode={field.kind === 'integer' || field.kind === 'number' ? 'numeric' : undefined}
        value={text}
        onChange={(e) => commit(e.target.value)}
        placeholder={placeholder}
        aria-invalid={invalid}
        aria-describedby={describedBy}
        aria-required={field.required}
        spellCheck={false}
      />
    );
  }

  return (
    <div className={`form-row${field.kind === 'boolean' ? ' form-row--inline' : ''}`}>
      <label className="field-label" htmlFor={id}>
        {field.label}
        {field.required && <span className="field-label__required"> (required)</span>}
        {field.kind === 'list' && <span className="field-label__hint"> — comma separated</span>}
      </label>
      {control}
      <div id={describedBy}>
        {error && <p className="issue-list__item">{error}</p>}
        <IssueList issues={issues} />
        {field.description && <p className="form-row__hint">{field.description}</p>}
        {(field.kind === 'integer' || field.kind === 'number') && rangeText(field) && <p className="form-row__hint">Allowed: {rangeText(field)}.</p>}
      </div>
    </div>
  );
}

/** A path on the runtime's machine: typed, or chosen with a file picker; says which file it means. */
function FilePathControl({ id, field, text, invalid, describedBy, placeholder, onText }: { id: string; field: ConfigField; text: string; invalid: boolean; describedBy: string; placeholder: string | undefined; onText(text: string): void }) {
  const resolveFilePath = useApp((s) => s.resolveFilePath);
  const [picking, setPicking] = useState(false);
  const [resolved, setResolved] = useState<ApiOutputs['files.resolve'] | null>(null);

  useEffect(() => {
    if (!text.trim()) {
      setResolved(null);
      return;
    }
    let current = true;
    // Asked after a pause in typing: one call per path, not per keystroke.
    const timer = setTimeout(() => void resolveFilePath(text).then((r) => current && setResolved(r)), 250);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [text, resolveFilePath]);

  const title = `Choose the file for “${field.label}”`;
  const browse = async () => {
    // The desktop app has the system's own dialog; a browser gets the runtime's folder listing.
    const bridge = (window as Window & { synccanvas?: Partial<Pick<PreloadApi, 'pickFile'>> }).synccanvas;
    if (!bridge?.pickFile) {
      setPicking(true);
      return;
    }
    const picked = await bridge.pickFile({ title, ...(resolved ? { defaultPath: resolved.path } : {}) });
    if (picked) onText(picked);
  };

  return (
    <>
      <div className="secret-row">
        <input id={id} className="input" type="text" value={text} onChange={(e) => onText(e.target.value)} placeholder={placeholder} aria-invalid={invalid} aria-describedby={`${describedBy} ${id}-resolved`} aria-required={field.required} spellCheck={false} />
        <button type="button" className="button button--secondary" onClick={() => void browse()}>
          Browse…
        </button>
      </div>
      <p id={`${id}-resolved`} className="form-row__hint file-path__resolved" data-testid="resolved-path">
        {resolved ? (
          <>
            {resolved.exists ? 'File: ' : 'No file yet at '}
            <code>{resolved.path}</code>
          </>
        ) : (
          'A relative path (e.g. crm.db) is looked up in the workspace’s data folder; ~ is your home folder.'
        )}
      </p>
      {picking && (
        <FilePickerDialog
          title={title}
          start={resolved?.path ?? ''}
          onClose={() => setPicking(false)}
          onPick={(path) => {
            setPicking(false);
            onText(path);
          }}
        />
      )}
    </>
  );
}

/** A name the system holds (stream, consumer, group): typed, or picked from what "List" asked the system for. */
function ChoiceControl({ id, field, text, invalid, describedBy, placeholder, listChoices, onText }: { id: string; field: ConfigField; text: string; invalid: boolean; describedBy: string; placeholder: string | undefined; listChoices(): Promise<string[]>; onText(text: string): void }) {
  const [state, setState] = useState<{ state: 'idle' } | { state: 'loading' } | { state: 'ok'; names: string[] } | { state: 'error'; message: string }>({ state: 'idle' });
  const list = async () => {
    setState({ state: 'loading' });
    try {
      setState({ state: 'ok', names: await listChoices() });
    } catch (e) {
      setState({ state: 'error', message: (e as Error).message });
    }
  };
  const offered = state.state === 'ok' ? offeredChoices(state.names, text) : [];
  return (
    <>
      <div className="secret-row">
        <input id={id} className="input" type="text" value={text} onChange={(e) => onText(e.target.value)} placeholder={placeholder} aria-invalid={invalid} aria-describedby={`${describedBy} ${id}-choices`} aria-required={field.required} spellCheck={false} />
        <button type="button" className="button button--secondary" onClick={() => void list()} disabled={state.state === 'loading'} aria-label={`List ${field.label.toLowerCase()} names`}>
          {state.state === 'loading' ? 'Listing…' : 'List'}
        </button>
      </div>
      <div id={`${id}-choices`} data-testid="choices">
        {state.state === 'error' && <p className="issue-list__item">{state.message}</p>}
        {state.state === 'ok' && state.names.length === 0 && <p className="form-row__hint">The system has none yet; type a name (SyncCanvas creates it on first start where it can).</p>}
        {offered.length > 0 && (
          <ul className="choice-list" aria-label={`${field.label} names`}>
            {offered.map((name) => (
              <li key={name}>
                <button type="button" className="button button--secondary button--small" onClick={() => onText(name)}>
                  {name}
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
    </>
  );
}
