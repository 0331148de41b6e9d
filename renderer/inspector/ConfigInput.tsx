import { useEffect, useId, useState } from 'react';
import type { ValidationIssue } from '../../shared/flow/validate.js';
import { fieldText, parseFieldText, type ConfigField } from '../editor/config-form.js';
import { IssueList } from './IssueList.js';

/** One generated settings control; keeps the typed text until it parses, then stores the value. */
export function ConfigInput({ field, value, issues, onChange }: { field: ConfigField; value: unknown; issues: ValidationIssue[]; onChange(value: unknown): void }) {
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
      </div>
    </div>
  );
}
