import { describe, expect, test } from 'vitest';
import { classifySqliteError } from './errors.js';

const err = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('classifySqliteError', () => {
  test('a database held by another program, unreadable or full is unavailable (the edge pauses)', () => {
    for (const code of ['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED', 'SQLITE_IOERR_WRITE', 'SQLITE_FULL', 'SQLITE_CANTOPEN', 'SQLITE_PROTOCOL']) {
      expect(classifySqliteError(err(code), 'writing').errorClass, code).toBe('unavailable');
    }
    expect(classifySqliteError(err('SQLITE_BUSY', 'database is locked'), 'writing to "contacts"').message).toBe(
      'writing to "contacts": database is locked (SQLITE_BUSY) — another program is writing to the database; will retry',
    );
  });

  test('an interrupted statement is record-level transient; bad data is validation; the rest permanent', () => {
    expect(classifySqliteError(err('SQLITE_INTERRUPT'), 'w').errorClass).toBe('transient');
    expect(classifySqliteError(err('SQLITE_CONSTRAINT_UNIQUE'), 'w').errorClass).toBe('validation');
    expect(classifySqliteError(err('SQLITE_READONLY'), 'w').errorClass).toBe('permanent');
    expect(classifySqliteError(new Error('no code'), 'w').errorClass).toBe('permanent');
  });
});
