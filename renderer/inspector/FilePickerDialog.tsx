import { useEffect, useId, useRef, useState } from 'react';
import type { ApiOutputs } from '../../shared/api/contract.js';
import { errorMessage } from '../api/api-call-error.js';
import { useApp } from '../state/store-context.js';

type Listing = ApiOutputs['files.browse'];

/**
 * Browser mode's file picker: the page cannot see the runtime's disk, so the runtime lists folders
 * (only inside the home and workspace folders) and the user clicks through them to a file.
 */
export function FilePickerDialog({ title, start, onPick, onClose }: { title: string; start: string; onPick(path: string): void; onClose(): void }) {
  const browseFiles = useApp((s) => s.browseFiles);
  const [listing, setListing] = useState<Listing | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const headingId = useId();
  const dialog = useRef<HTMLDivElement>(null);

  const open = async (path: string | undefined) => {
    setBusy(true);
    try {
      setListing(await browseFiles(path));
      setError(null);
    } catch (e) {
      setError(errorMessage(e));
      // A typed path that does not exist yet still opens the picker, at the first allowed folder.
      if (!listing && path) setListing(await browseFiles().catch(() => null));
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    void open(start || undefined);
    dialog.current?.focus();
    // Opened once per dialog; later navigation goes through open().
  }, []);

  return (
    <div className="file-picker__backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div
        ref={dialog}
        className="file-picker"
        role="dialog"
        aria-modal="true"
        aria-labelledby={headingId}
        tabIndex={-1}
        data-testid="file-picker"
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.stopPropagation();
            onClose();
          }
        }}
      >
        <h2 id={headingId} className="file-picker__title">
          {title}
        </h2>
        <div className="file-picker__places" role="group" aria-label="Places">
          {listing?.roots.map((r) => (
            <button key={r.path} type="button" className="button button--small" onClick={() => void open(r.path)}>
              {r.label}
            </button>
          ))}
          <button type="button" className="button button--small" disabled={!listing?.parent || busy} onClick={() => listing?.parent && void open(listing.parent)}>
            ↑ Up
          </button>
        </div>
        <p className="file-picker__dir" data-testid="file-picker-dir">
          {listing?.dir ?? '…'}
        </p>
        {error && (
          <p className="issue-list__item" role="alert">
            {error}
          </p>
        )}
        <ul className="file-picker__list" aria-label="Folders and files" aria-busy={busy}>
          {listing?.entries.filter((e) => !SQLITE_SIDECAR.test(e.name)).map((e) => (
            <li key={e.path}>
              <button type="button" className={`file-picker__entry file-picker__entry--${e.kind}`} onClick={() => (e.kind === 'dir' ? void open(e.path) : onPick(e.path))}>
                <EntryIcon kind={e.kind} /> {e.name}
                {e.kind === 'dir' ? <span className="visually-hidden"> (folder)</span> : e.size !== null && <span className="file-picker__size">{formatSize(e.size)}</span>}
              </button>
            </li>
          ))}
          {listing && listing.entries.length === 0 && <li className="form-row__hint">This folder is empty.</li>}
        </ul>
        <div className="form-actions">
          <button type="button" className="button button--secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </div>
    </div>
  );
}

/** Drawn, not an emoji: not every system has a font with the emoji. */
function EntryIcon({ kind }: { kind: 'dir' | 'file' }) {
  return (
    <svg className="file-picker__icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
      {kind === 'dir' ? <path d="M1.5 3.5h5l1.5 1.5h6.5v8h-13z" fill="#f4c96b" stroke="#b8892a" /> : <path d="M3.5 1.5h6l3 3v10h-9z M9.5 1.5v3h3" fill="#fff" stroke="#6b7280" />}
    </svg>
  );
}

/** SQLite's own companions of a database file: never what the user means to pick. */
const SQLITE_SIDECAR = /-(wal|shm|journal)$/;

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
