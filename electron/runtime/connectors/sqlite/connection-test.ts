import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { ConnectionCheck, ConnectionTestResult } from '../types.js';
import { isNotADatabase, missingFileProblem, type Db } from './database.js';
import { keyColumnOf, listUserTables, readTableSchema } from './table-schema.js';

/**
 * Checks a database file step by step on its own short-lived connection, without changing it
 * (no WAL switch, no tables, no triggers): each check says what to fix.
 */
export function testSqliteConnection(file: string, allowedTables: string[] | undefined): ConnectionTestResult {
  const label = path.basename(file);
  const checks: ConnectionCheck[] = [];
  const done = (): ConnectionTestResult => {
    const failed = checks.find((c) => !c.ok);
    return failed
      ? { ok: false, message: failed.message, checks }
      : { ok: true, message: `${label} is ready (${file}): ${checks.find((c) => c.name === 'tables')?.message ?? ''}`, checks };
  };

  const missing = missingFileProblem(file);
  checks.push({ name: 'file', ok: !missing, message: missing ?? `found ${file}` });
  if (missing) return done();

  let db: Db;
  try {
    db = new Database(file, { fileMustExist: true, timeout: 1000 });
  } catch (e) {
    checks.push({ name: 'open', ok: false, message: `cannot open ${file}: ${(e as Error).message} — check the file's permissions` });
    return done();
  }
  checks.push({ name: 'open', ok: true, message: `opened ${label}` });
  try {
    try {
      db.prepare('SELECT count(*) FROM sqlite_schema').get();
      checks.push({ name: 'database', ok: true, message: `${label} is a SQLite database` });
    } catch (e) {
      const message = isNotADatabase(e)
        ? `${file} is not a SQLite database: point "path" at a .db or .sqlite file made by SQLite`
        : `cannot read ${label}: ${(e as Error).message}`;
      checks.push({ name: 'database', ok: false, message });
      return done();
    }
    checks.push(tablesCheck(db, label, allowedTables));
    checks.push(writableCheck(db, file));
  } finally {
    db.close();
  }
  return done();
}

function tablesCheck(db: Db, label: string, allowed: string[] | undefined): ConnectionCheck {
  const all = listUserTables(db);
  const problems: string[] = [];
  const names = allowed ?? all;
  for (const name of allowed ?? []) if (!all.includes(name)) problems.push(`table "${name}" from the "tables" setting does not exist in ${label} (tables here: ${all.join(', ') || 'none'})`);
  let ready = 0;
  for (const name of names) {
    const table = readTableSchema(db, name);
    if (!table) continue;
    const key = keyColumnOf(table);
    if (key.ok) ready++;
    else problems.push(key.problem);
  }
  if (names.length === 0) return { name: 'tables', ok: false, message: `${label} has no tables yet: create the table you want to sync` };
  // Without an explicit list, tables we cannot sync are only worth a warning: the others still work.
  if (allowed ? problems.length > 0 : ready === 0) return { name: 'tables', ok: false, message: problems.join('; ') };
  const ok = `${ready} table${ready === 1 ? '' : 's'} ready to sync`;
  return { name: 'tables', ok: true, message: problems.length ? `${ok}; skipped: ${problems.join('; ')}` : ok };
}

function writableCheck(db: Db, file: string): ConnectionCheck {
  const dir = path.dirname(file);
  try {
    // WAL needs to create the -wal and -shm files beside the database.
    fs.accessSync(file, fs.constants.W_OK);
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    return { name: 'writable', ok: false, message: `SyncCanvas cannot write ${file} or its folder ${dir}: give your user write access to both` };
  }
  try {
    db.exec('BEGIN IMMEDIATE');
    db.exec('ROLLBACK');
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    const message = /BUSY|LOCKED/.test(code)
      ? `another program keeps ${path.basename(file)} locked for writing: close it (or end its open transaction) and test again`
      : `cannot write to ${path.basename(file)}: ${(e as Error).message}`;
    return { name: 'writable', ok: false, message };
  }
  return { name: 'writable', ok: true, message: `${path.basename(file)} is writable` };
}
