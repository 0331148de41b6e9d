import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStoreDatabase } from './database.js';
import { migrate, STORE_MIGRATIONS } from './migrations.js';

const version = (db: Database.Database) => db.pragma('user_version', { simple: true }) as number;
const tables = (db: Database.Database) =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'synccanvas-store-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('store migrations', () => {
  it('brings a fresh database to the latest version with every table', () => {
    const db = new Database(':memory:');
    expect(migrate(db)).toEqual({ from: 0, to: STORE_MIGRATIONS.length });
    expect(version(db)).toBe(STORE_MIGRATIONS.length);
    expect(tables(db)).toEqual(
      expect.arrayContaining(['flows', 'dedupe_keys', 'inbox', 'checkpoints', 'shadows', 'links', 'tombstones', 'dlq', 'edge_counters', 'metrics', 'unknown_fields']),
    );
    db.close();
  });

  it('is a no-op when run again, keeping the data', () => {
    const dir = tempDir();
    const path = join(dir, 'ws.db');
    const first = openStoreDatabase(path);
    first.prepare("INSERT INTO checkpoints (flow_id, system, position, updated_at) VALUES ('f', 'crm', '42', 1)").run();
    first.close();
    const again = openStoreDatabase(path);
    expect(migrate(again)).toEqual({ from: STORE_MIGRATIONS.length, to: STORE_MIGRATIONS.length });
    expect(again.prepare('SELECT position FROM checkpoints').get()).toEqual({ position: '42' });
    again.close();
  });

  it('refuses a database from a newer SyncCanvas, leaving it untouched', () => {
    const path = join(tempDir(), 'ws.db');
    const db = new Database(path);
    db.pragma(`user_version = ${STORE_MIGRATIONS.length + 1}`);
    db.close();
    expect(() => openStoreDatabase(path)).toThrow(/written by a newer SyncCanvas \(store version \d+, this build knows \d+\): update SyncCanvas/);
    const check = new Database(path);
    expect(version(check)).toBe(STORE_MIGRATIONS.length + 1);
    expect(tables(check)).toEqual([]);
    check.close();
  });

  it('runs only the missing steps, in order', () => {
    const db = new Database(':memory:');
    const steps = ['CREATE TABLE one (x)', 'CREATE TABLE two (y)', 'CREATE TABLE three (z)'];
    expect(migrate(db, steps.slice(0, 1))).toEqual({ from: 0, to: 1 });
    expect(migrate(db, steps)).toEqual({ from: 1, to: 3 });
    expect(tables(db)).toEqual(['one', 'three', 'two']);
    db.close();
  });

  it('leaves the previous version intact when a step fails halfway', () => {
    const db = new Database(':memory:');
    const steps = [
      'CREATE TABLE one (x); INSERT INTO one VALUES (1);',
      'CREATE TABLE two (y); INSERT INTO two VALUES (2); INSERT INTO no_such_table VALUES (3);',
    ];
    expect(() => migrate(db, steps)).toThrow(/no_such_table/);
    expect(version(db)).toBe(1);
    expect(tables(db)).toEqual(['one']);
    expect(db.prepare('SELECT x FROM one').all()).toEqual([{ x: 1 }]);
    // Fixed step: the migration resumes from where it stopped.
    expect(migrate(db, [steps[0]!, 'CREATE TABLE two (y)'])).toEqual({ from: 1, to: 2 });
    expect(tables(db)).toEqual(['one', 'two']);
    db.close();
  });

  it('says clearly when the workspace file is not a database', () => {
    const path = join(tempDir(), 'ws.db');
    writeFileSync(path, 'this is not sqlite, just some text long enough to have a header'.repeat(10));
    expect(() => openStoreDatabase(path)).toThrow(/is not a SyncCanvas workspace database \(not SQLite\): choose another workspace folder/);
  });
});
