import { syncError, type SyncError } from '../../../../shared/errors.js';

/** The database file cannot take writes now (held by another program, unreadable, disk full): the edge pauses. */
const UNAVAILABLE_CODES = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|PROTOCOL)/;
const TRANSIENT_CODES = /^SQLITE_(INTERRUPT|NOMEM)/;
const VALIDATION_CODES = /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/;

/** Maps a SQLite failure to the error class the engine pauses on (unavailable), retries (transient) or sends to the DLQ. */
export function classifySqliteError(e: unknown, where: string): SyncError {
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : String(e);
  if (typeof code === 'string') {
    if (UNAVAILABLE_CODES.test(code)) {
      const hint = /^SQLITE_(BUSY|LOCKED)/.test(code) ? 'another program is writing to the database; will retry' : 'will retry';
      return syncError('unavailable', `${where}: ${message} (${code}) — ${hint}`);
    }
    if (TRANSIENT_CODES.test(code)) return syncError('transient', `${where}: ${message} (${code}) — will retry`);
    if (VALIDATION_CODES.test(code)) return syncError('validation', `${where}: ${message}`);
    if (code === 'SQLITE_READONLY') return syncError('permanent', `${where}: the database is read-only — give SyncCanvas write access to the file and its folder, then replay`);
    return syncError('permanent', `${where}: ${message} (${code})`);
  }
  return syncError('permanent', `${where}: ${message}`);
}
