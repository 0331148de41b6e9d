import { syncError, type SyncError } from '../../../../shared/errors.js';

const TRANSIENT_CODES = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|PROTOCOL|INTERRUPT|NOMEM)/;
const VALIDATION_CODES = /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/;

/** Maps a SQLite failure to the error class the engine retries on (transient) or sends to the DLQ. */
export function classifySqliteError(e: unknown, where: string): SyncError {
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : String(e);
  if (typeof code === 'string') {
    if (TRANSIENT_CODES.test(code)) {
      const hint = /^SQLITE_(BUSY|LOCKED)/.test(code) ? 'another program is writing to the database; will retry' : 'will retry';
      return syncError('transient', `${where}: ${message} (${code}) — ${hint}`);
    }
    if (VALIDATION_CODES.test(code)) return syncError('validation', `${where}: ${message}`);
    if (code === 'SQLITE_READONLY') return syncError('permanent', `${where}: the database is read-only — give SyncCanvas write access to the file and its folder, then replay`);
    return syncError('permanent', `${where}: ${message} (${code})`);
  }
  return syncError('permanent', `${where}: ${message}`);
}
