import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { migrate } from './migrations.js';

export type Db = Database.Database;

/**
 * Opens (creating and migrating) the workspace database. WAL lets the UI read while the engine
 * writes. synchronous=FULL is the default for commits made outside the engine's hot path; the
 * engine's own commits are relaxed and made durable by the barrier before a source is acknowledged
 * (Store.transaction, Store.durable), one fsync per group of batches, not per event.
 */
export function openStoreDatabase(path: string, opts: { synchronous?: 'FULL' | 'NORMAL' } = {}): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    migrate(db);
  } catch (e) {
    db.close();
    if ((e as { code?: string }).code === 'SQLITE_NOTADB') {
      throw new Error(`${path} is not a SyncCanvas workspace database (not SQLite): choose another workspace folder`);
    }
    throw e;
  }
  return db;
}
