import { randomUUID } from 'node:crypto';
import type { Db } from './database.js';
import { quoteIdent, quoteLiteral } from './sql-quote.js';
import { INTERNAL_PREFIX, keyColumnOf, type TableSchema } from './table-schema.js';

/*
 * Change capture the way Heroku Connect does it: AFTER triggers on each captured table append the
 * row (as JSON) to a change log inside the user's own transaction, so a change is logged if and
 * only if it commits. AUTOINCREMENT keeps ids rising even after we delete consumed rows, which
 * makes the id a safe checkpoint.
 */

export const CHANGES_TABLE = `${INTERNAL_PREFIX}changes`;
export const ORIGIN_TABLE = `${INTERNAL_PREFIX}origin`;
export const META_TABLE = `${INTERNAL_PREFIX}meta`;
/** Idempotency keys of inserts that had no match value, so a retry finds the row it made. */
export const APPLIED_TABLE = `${INTERNAL_PREFIX}applied`;
/** How far each reader (a flow's capture) has consumed the log: rows are deleted only below all of them. */
export const READERS_TABLE = `${INTERNAL_PREFIX}readers`;

/** Bump when the generated trigger SQL changes: installed triggers then differ and are replaced. */
const TRIGGER_VERSION = 2;

const EPOCH_MS_NOW = "(julianday('now') - 2440587.5) * 86400000.0";
/** Our own writes set this row inside their transaction; everyone else's changes are `user`. */
const ORIGIN_NOW = `coalesce((SELECT origin FROM ${ORIGIN_TABLE} WHERE id = 1), 'user')`;

const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS ${CHANGES_TABLE} (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tbl TEXT NOT NULL,
  pk TEXT NOT NULL,
  op TEXT NOT NULL,
  row_json TEXT NOT NULL,
  changed_at REAL NOT NULL,
  origin TEXT NOT NULL DEFAULT 'user'
);
CREATE TABLE IF NOT EXISTS ${ORIGIN_TABLE} (id INTEGER PRIMARY KEY CHECK (id = 1), origin TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ${META_TABLE} (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ${APPLIED_TABLE} (idempotency_key TEXT PRIMARY KEY, tbl TEXT NOT NULL, pk TEXT NOT NULL, applied_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS ${READERS_TABLE} (reader TEXT PRIMARY KEY, position INTEGER NOT NULL, tables TEXT NOT NULL DEFAULT '[]', updated_at REAL NOT NULL);
`;

const SCHEMA_TABLES = [CHANGES_TABLE, ORIGIN_TABLE, META_TABLE, APPLIED_TABLE, READERS_TABLE];

/**
 * Records that `reader` has consumed the log up to `position` and deletes the rows every reader has
 * consumed. One file's log can be read by several flows; deleting up to one reader's position threw
 * away changes another had not read yet.
 */
export function acknowledgeUpTo(db: Db, reader: string, position: number): void {
  db.transaction(() => {
    db.prepare(
      `INSERT INTO ${READERS_TABLE}(reader, position, updated_at) VALUES (?, ?, ${EPOCH_MS_NOW}) ON CONFLICT(reader) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`,
    ).run(reader, position);
    db.prepare(`DELETE FROM ${CHANGES_TABLE} WHERE id <= (SELECT min(position) FROM ${READERS_TABLE})`).run();
  }).immediate();
}

/**
 * Registers a reader at `position` unless it is known, so rows it has not read are kept for it from
 * now on, and records the tables it captures, so another reader's trigger setup keeps them.
 */
export function registerReader(db: Db, reader: string, position: number, tables: readonly string[]): void {
  db.prepare(`INSERT OR IGNORE INTO ${READERS_TABLE}(reader, position, tables, updated_at) VALUES (?, ?, '[]', ${EPOCH_MS_NOW})`).run(reader, position);
  db.prepare(`UPDATE ${READERS_TABLE} SET tables = ? WHERE reader = ?`).run(JSON.stringify([...tables]), reader);
}

/** Moves a reader back (its log was restored below its position), so other readers' deletes keep what it will read again. */
export function rewindReader(db: Db, reader: string, position: number): void {
  db.prepare(`UPDATE ${READERS_TABLE} SET position = ? WHERE reader = ?`).run(position, reader);
}

/** Tables the other readers of this file capture. */
export function tablesOfOtherReaders(db: Db, reader: string): string[] {
  const rows = db.prepare(`SELECT tables FROM ${READERS_TABLE} WHERE reader != ?`).pluck().all(reader) as string[];
  const out = new Set<string>();
  for (const r of rows) {
    try {
      for (const t of JSON.parse(r) as unknown[]) if (typeof t === 'string') out.add(t);
    } catch {
      // A damaged entry only costs that reader its triggers until it starts again and rewrites it.
    }
  }
  return [...out];
}

/** Creates our bookkeeping tables when any is missing (checked first, so a normal start takes no write lock). */
export function ensureChangeLogSchema(db: Db): void {
  const present = db
    .prepare(`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN (${SCHEMA_TABLES.map(() => '?').join(', ')})`)
    .pluck()
    .get(...SCHEMA_TABLES) as number;
  if (present === SCHEMA_TABLES.length) return;
  db.transaction(() => db.exec(SCHEMA_SQL)).immediate();
}

/** A stable id for this database file, made once; part of every eventId. */
export function databaseId(db: Db): string {
  const get = db.prepare(`SELECT value FROM ${META_TABLE} WHERE key = 'db_id'`).pluck();
  const existing = get.get() as string | undefined;
  if (existing) return existing;
  db.prepare(`INSERT OR IGNORE INTO ${META_TABLE}(key, value) VALUES ('db_id', ?)`).run(randomUUID());
  return get.get() as string;
}

/**
 * Makes the log's next ids continue above `id`. After a restored backup the log restarts below
 * our checkpoint; its ids are also the record versions our events carry (see capture.ts), and a
 * version that went backwards would make new changes look older than ones already applied.
 */
export function continueChangeIdsAbove(db: Db, id: number): void {
  const updated = db.prepare(`UPDATE sqlite_sequence SET seq = ? WHERE name = ? AND seq < ?`).run(id, CHANGES_TABLE, id).changes;
  if (updated === 0 && lastAssignedChangeId(db) < id) db.prepare(`INSERT INTO sqlite_sequence(name, seq) VALUES (?, ?)`).run(CHANGES_TABLE, id);
}

/** Replaces the database id, e.g. after the change log went backwards (a restored backup), so old eventIds are not reused. */
export function renewDatabaseId(db: Db): string {
  const id = randomUUID();
  db.prepare(`INSERT INTO ${META_TABLE}(key, value) VALUES ('db_id', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(id);
  return id;
}

/** The highest change id ever assigned (survives deletes), 0 when none. */
export const LAST_CHANGE_ID_SQL = `SELECT seq FROM sqlite_sequence WHERE name = ?`;

export function lastAssignedChangeId(db: Db): number {
  const seq = db.prepare(LAST_CHANGE_ID_SQL).pluck().get(CHANGES_TABLE) as number | undefined;
  return seq ?? 0;
}

/** Run inside our write transaction: the triggers read this row to tag changes as ours. */
export const SET_ORIGIN_SQL = `INSERT INTO ${ORIGIN_TABLE}(id, origin) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET origin = excluded.origin`;
/** Run before COMMIT, so the row is never visible to another connection. */
export const CLEAR_ORIGIN_SQL = `DELETE FROM ${ORIGIN_TABLE}`;

/**
 * json_object() refuses BLOBs, and a failing trigger would fail the user's own write: a BLOB goes
 * as `{"$blob": "<hex>"}`, so it is written back as a BLOB, not as the text of its hex.
 */
function jsonValue(ref: string, column: string): string {
  const c = `${ref}.${quoteIdent(column)}`;
  return `CASE typeof(${c}) WHEN 'blob' THEN json_object('$blob', hex(${c})) ELSE ${c} END`;
}

function rowJson(ref: string, columns: string[]): string {
  return `json_object(${columns.map((c) => `${quoteLiteral(c)}, ${jsonValue(ref, c)}`).join(', ')})`;
}

/** Origin of snapshot rows from before snapshots named their reader: taken by whoever reads them. */
export const UNNAMED_SNAPSHOT_ORIGIN = 'snapshot';
const SNAPSHOT_ORIGIN_PREFIX = 'snapshot:';

/** The origin a snapshot appended for `readerId` carries in the shared log. */
export function snapshotOriginFor(readerId: string): string {
  return `${SNAPSHOT_ORIGIN_PREFIX}${readerId}`;
}

/**
 * Whether a logged change is a snapshot another reader asked for. The log is one per file, and every
 * flow capturing from the file reads all of it: without this, a second flow's first start re-delivered
 * every row to the first flow (which had long applied them, and parked the same records again).
 */
export function isOthersSnapshot(origin: string, ownSnapshotOrigin: string): boolean {
  return origin.startsWith(SNAPSHOT_ORIGIN_PREFIX) && origin !== ownSnapshotOrigin;
}

/**
 * Appends every existing row of `table` to the change log as an upsert: the initial snapshot a new
 * flow starts from. Run after the triggers exist, so a change made during the snapshot is either in
 * it or logged after it (with a higher id); replaying an older logged change first is harmless.
 * `origin` names the reader the snapshot is for (snapshotOriginFor); other readers skip its rows.
 */
export function snapshotStatement(table: TableSchema, origin: string = UNNAMED_SNAPSHOT_ORIGIN): string {
  const key = keyColumnOf(table);
  if (!key.ok) throw new Error(key.problem);
  const all = table.columns.map((c) => c.name);
  return `INSERT INTO ${CHANGES_TABLE}(tbl, pk, op, row_json, changed_at, origin)
    SELECT ${quoteLiteral(table.name)}, CAST(s.${quoteIdent(key.column.name)} AS TEXT), 'snapshot', ${rowJson('s', all)}, ${EPOCH_MS_NOW}, ${quoteLiteral(origin)}
    FROM ${quoteIdent(table.name)} AS s ORDER BY s.${quoteIdent(key.column.name)}`;
}

export function triggerName(table: string, kind: 'insert' | 'update' | 'delete'): string {
  return `${INTERNAL_PREFIX}${table}_${kind}`;
}

/** The three trigger statements for a table, keyed by trigger name. */
export function triggerStatements(table: TableSchema): Map<string, string> {
  const key = keyColumnOf(table);
  if (!key.ok) throw new Error(key.problem);
  const pk = key.column.name;
  const t = quoteIdent(table.name);
  const tbl = quoteLiteral(table.name);
  const all = table.columns.map((c) => c.name);
  const header = `-- SyncCanvas change capture v${TRIGGER_VERSION}; managed by SyncCanvas, reinstalled when the table changes`;
  const insertInto = `INSERT INTO ${CHANGES_TABLE}(tbl, pk, op, row_json, changed_at, origin)`;
  const newKey = `CAST(NEW.${quoteIdent(pk)} AS TEXT)`;
  const oldKey = `CAST(OLD.${quoteIdent(pk)} AS TEXT)`;
  // An UPDATE that rewrites identical values is not a change worth syncing.
  const anyChanged = all.map((c) => `OLD.${quoteIdent(c)} IS NOT NEW.${quoteIdent(c)}`).join(' OR ');
  const out = new Map<string, string>();
  out.set(
    triggerName(table.name, 'insert'),
    `CREATE TRIGGER ${quoteIdent(triggerName(table.name, 'insert'))} AFTER INSERT ON ${t} BEGIN
  ${header}
  ${insertInto} VALUES (${tbl}, ${newKey}, 'insert', ${rowJson('NEW', all)}, ${EPOCH_MS_NOW}, ${ORIGIN_NOW});
END`,
  );
  out.set(
    triggerName(table.name, 'update'),
    `CREATE TRIGGER ${quoteIdent(triggerName(table.name, 'update'))} AFTER UPDATE ON ${t} WHEN ${anyChanged} BEGIN
  ${header}
  ${insertInto} SELECT ${tbl}, ${oldKey}, 'delete', ${rowJson('OLD', [pk])}, ${EPOCH_MS_NOW}, ${ORIGIN_NOW} WHERE OLD.${quoteIdent(pk)} IS NOT NEW.${quoteIdent(pk)};
  ${insertInto} VALUES (${tbl}, ${newKey}, 'update', ${rowJson('NEW', all)}, ${EPOCH_MS_NOW}, ${ORIGIN_NOW});
END`,
  );
  out.set(
    triggerName(table.name, 'delete'),
    `CREATE TRIGGER ${quoteIdent(triggerName(table.name, 'delete'))} AFTER DELETE ON ${t} BEGIN
  ${header}
  ${insertInto} VALUES (${tbl}, ${oldKey}, 'delete', ${rowJson('OLD', [pk])}, ${EPOCH_MS_NOW}, ${ORIGIN_NOW});
END`,
  );
  return out;
}

/**
 * Makes the installed triggers exactly those for `tables`: creates missing ones, replaces ones whose
 * SQL differs (columns added, renamed or dropped; a newer trigger version) and drops ours on tables
 * no longer captured. One IMMEDIATE transaction, so no outside write slips between drop and create.
 * Returns whether anything changed.
 */
export function syncCaptureTriggers(db: Db, tables: TableSchema[]): boolean {
  const wanted = new Map<string, string>();
  for (const t of tables) for (const [name, sql] of triggerStatements(t)) wanted.set(name, sql);
  const installed = new Map(
    (
      db
        .prepare(`SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND substr(name, 1, ?) = ?`)
        .all(INTERNAL_PREFIX.length, INTERNAL_PREFIX) as Array<{ name: string; sql: string }>
    ).map((r) => [r.name, r.sql]),
  );
  const drop = [...installed.keys()].filter((name) => wanted.get(name) !== installed.get(name));
  const create = [...wanted].filter(([name, sql]) => installed.get(name) !== sql);
  if (drop.length === 0 && create.length === 0) return false;
  db.transaction(() => {
    for (const name of drop) db.exec(`DROP TRIGGER IF EXISTS ${quoteIdent(name)}`);
    for (const [, sql] of create) db.exec(sql);
  }).immediate();
  return true;
}

/**
 * Removes what capture installed in the user's database for `reader` when its flow is deleted. When
 * no other flow reads the file, that is everything — our triggers and bookkeeping tables — so the
 * user's writes stop filling a change log nobody reads; otherwise only this reader's entry and the
 * triggers of tables no other reader captures. One IMMEDIATE transaction; returns what was removed.
 */
export function removeCaptureResources(db: Db, reader?: string): { triggers: number; tables: number } {
  const names = (type: 'trigger' | 'table') =>
    db.prepare(`SELECT name FROM sqlite_schema WHERE type = ? AND substr(name, 1, ?) = ?`).pluck().all(type, INTERNAL_PREFIX.length, INTERNAL_PREFIX) as string[];
  let removed = { triggers: 0, tables: 0 };
  db.transaction(() => {
    const hasReaders = names('table').includes(READERS_TABLE);
    const others = reader !== undefined && hasReaders ? (db.prepare(`SELECT count(*) FROM ${READERS_TABLE} WHERE reader != ?`).pluck().get(reader) as number) : 0;
    if (others > 0) {
      const keep = new Set(tablesOfOtherReaders(db, reader!));
      const triggers = (db.prepare(`SELECT name, tbl_name FROM sqlite_schema WHERE type = 'trigger' AND substr(name, 1, ?) = ?`).all(INTERNAL_PREFIX.length, INTERNAL_PREFIX) as Array<{ name: string; tbl_name: string }>).filter(
        (t) => !keep.has(t.tbl_name),
      );
      for (const t of triggers) db.exec(`DROP TRIGGER IF EXISTS ${quoteIdent(t.name)}`);
      db.prepare(`DELETE FROM ${READERS_TABLE} WHERE reader = ?`).run(reader);
      // Rows only this reader was waiting for go now.
      db.prepare(`DELETE FROM ${CHANGES_TABLE} WHERE id <= (SELECT min(position) FROM ${READERS_TABLE})`).run();
      removed = { triggers: triggers.length, tables: 0 };
      return;
    }
    const triggers = names('trigger');
    for (const t of triggers) db.exec(`DROP TRIGGER IF EXISTS ${quoteIdent(t)}`);
    const tables = names('table');
    for (const t of tables) db.exec(`DROP TABLE IF EXISTS ${quoteIdent(t)}`);
    removed = { triggers: triggers.length, tables: tables.length };
  }).immediate();
  return removed;
}
