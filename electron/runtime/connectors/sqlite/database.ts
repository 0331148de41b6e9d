import fs from 'node:fs';
import Database from 'better-sqlite3';
import { SqliteSetupError } from './config.js';

export type Db = Database.Database;

/** Long enough to ride out another program's short write; we never hold a transaction across an await. */
export const BUSY_TIMEOUT_MS = 5000;

/** Name of the SQL function that normalizes match values the same way as JS (`trim().toLowerCase()`). */
export const NORMALIZE_FN = 'synccanvas_normalize';

export function normalizeMatchValue(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return String(value).trim().toLowerCase();
}

/** Explains why `file` cannot be used, or returns null when it exists as a regular file. */
export function missingFileProblem(file: string): string | null {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return `no database file at ${file}: check "path" (a relative path resolves against the workspace data folder) or create the database first`;
  }
  if (!stat.isFile()) return `${file} is not a file: point "path" at a SQLite database file`;
  return null;
}

export function isNotADatabase(e: unknown): boolean {
  return (e as { code?: string } | null)?.code === 'SQLITE_NOTADB';
}

/**
 * Opens a user's database for syncing: WAL (readers never block the user's writers),
 * a busy timeout, and our normalize function. Throws SqliteSetupError with a fix.
 */
export function openUserDatabase(file: string): Db {
  const problem = missingFileProblem(file);
  if (problem) throw new SqliteSetupError(problem);
  let db: Db;
  try {
    db = new Database(file, { fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
  } catch (e) {
    throw new SqliteSetupError(`cannot open ${file}: ${(e as Error).message} — check the file's permissions`);
  }
  try {
    db.pragma('journal_mode = WAL');
    db.function(NORMALIZE_FN, { deterministic: true }, (v: unknown) => normalizeMatchValue(v));
  } catch (e) {
    db.close();
    if (isNotADatabase(e)) throw new SqliteSetupError(`${file} is not a SQLite database: point "path" at a .db or .sqlite file made by SQLite`);
    throw new SqliteSetupError(`cannot prepare ${file} for syncing: ${(e as Error).message}`);
  }
  return db;
}
