import { useEffect, useId, useRef } from 'react';
import { useApp } from '../state/store-context.js';

/**
 * Asked when an opened flow file has the id of a flow already in the workspace: replacing it is a
 * choice the user makes with a click, never something autosave does on its own.
 */
export function ImportChoiceDialog() {
  const pending = useApp((s) => s.pendingImport);
  const resolveImport = useApp((s) => s.resolveImport);
  const headingId = useId();
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (pending) first.current?.focus();
  }, [pending]);
  if (!pending) return null;
  return (
    <div className="file-picker__backdrop">
      <div
        className="file-picker import-choice"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby={headingId}
        data-testid="import-choice"
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.stopPropagation();
            resolveImport('cancel');
          }
        }}
      >
        <h2 id={headingId} className="file-picker__title">
          “{pending.existingName}” is already in this workspace
        </h2>
        <p>
          {pending.fileName} holds a flow with the same id as “{pending.existingName}”. Replace that flow with the file (it is saved over it), or open the file as a
          separate copy?
        </p>
        <div className="form-actions">
          <button ref={first} type="button" className="button button--primary" onClick={() => resolveImport('copy')}>
            Import as a copy
          </button>
          <button type="button" className="button button--danger-quiet" onClick={() => resolveImport('replace')}>
            Replace “{pending.existingName}”
          </button>
          <button type="button" className="button button--secondary" onClick={() => resolveImport('cancel')}>
            Cancel
          </button>
        </div>
      </div>
    </div>
  );
}
