import path from 'node:path';
import type Database from 'better-sqlite3';
import { syncError } from '../../../../shared/errors.js';
import type { WriteOp, WriteResult } from '../types.js';
import { APPLIED_TABLE, CHANGES_TABLE, CLEAR_ORIGIN_SQL, ensureChangeLogSchema, LAST_CHANGE_ID_SQL, SET_ORIGIN_SQL } from './change-log.js';
import type { Db } from './database.js';
import { classifySqliteError } from './errors.js';
import { quoteIdent } from './sql-quote.js';
import { keyColumnOf, keyValue, type ColumnSchema, type SchemaCache, type TableSchema } from './table-schema.js';
import { toSqliteValue, UnstorableValueError, type SqliteValue } from './values.js';

type Statement = Database.Statement<unknown[], unknown>;
type UpsertOp = Extract<WriteOp, { kind: 'upsert' }>;
type DeleteOp = Extract<WriteOp, { kind: 'delete' }>;

/** An op-level problem: reported in that op's result, the rest of the call still applies. */
class OpRejected extends Error {}

/** How long an idempotency key of a key-less insert is remembered (longer than any retry or DLQ replay gap we expect). */
const APPLIED_RETENTION_MS = 30 * 24 * 3600_000;

/**
 * Applies write ops to one SQLite database. Each call is ONE `BEGIN IMMEDIATE` transaction that
 * first marks our origin (so the capture triggers tag the resulting changes as ours) and clears it
 * before COMMIT. Op-level failures (unknown column, constraint) are results; anything that breaks
 * the transaction rolls back the whole call so nothing is half-written.
 */
export class SqliteWriter {
  private readonly statements = new Map<string, Statement>();
  private prepared = false;
  private readonly label: string;

  constructor(
    private readonly db: Db,
    private readonly schemas: SchemaCache,
    file: string,
  ) {
    this.label = path.basename(file);
    schemas.onChange(() => this.statements.clear());
  }

  write(entity: string, ops: WriteOp[], origin: string): WriteResult[] {
    if (ops.length === 0) return [];
    let table: TableSchema | undefined;
    try {
      this.prepareOnce();
      table = this.schemas.get(entity);
    } catch (e) {
      const error = classifySqliteError(e, `preparing ${this.label} for writes`);
      return ops.map(() => ({ ok: false, error }));
    }
    if (!table) {
      const error = syncError('validation', `table "${entity}" does not exist in ${this.label}: check the sync's entity name or create the table`);
      return ops.map(() => ({ ok: false, error }));
    }
    const key = keyColumnOf(table);
    if (!key.ok) {
      const error = syncError('validation', `${key.problem} (${this.label})`);
      return ops.map(() => ({ ok: false, error }));
    }

    try {
      this.db.exec('BEGIN IMMEDIATE');
    } catch (e) {
      const error = classifySqliteError(e, `starting a write to ${this.label}`);
      return ops.map(() => ({ ok: false, error }));
    }
    try {
      this.stmt(SET_ORIGIN_SQL).run(origin);
      const results = ops.map((op) => this.applyOne(table, key.column, op));
      this.stmt(CLEAR_ORIGIN_SQL).run();
      this.db.exec('COMMIT');
      return results;
    } catch (e) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      const error = classifySqliteError(e, `writing to "${entity}" in ${this.label}`);
      return ops.map(() => ({ ok: false, error }));
    }
  }

  private lastChangeId(): number {
    return (this.stmt(LAST_CHANGE_ID_SQL).pluck().get(CHANGES_TABLE) as number | undefined) ?? 0;
  }

  /** Our bookkeeping tables must exist before the first write (the origin row lives there). */
  private prepareOnce(): void {
    if (this.prepared) return;
    ensureChangeLogSchema(this.db);
    this.db.prepare(`DELETE FROM ${APPLIED_TABLE} WHERE applied_at < ?`).run(Date.now() - APPLIED_RETENTION_MS);
    this.prepared = true;
  }

  private applyOne(table: TableSchema, key: ColumnSchema, op: WriteOp): WriteResult {
    try {
      const before = this.lastChangeId();
      const result = op.kind === 'upsert' ? this.upsert(table, key, op) : this.delete(table, key, op);
      // The change-log id our write produced is the record version our capture reports for it, so
      // the engine can tell an event made before this write (a lower id) from a later one. No new id:
      // the table is not captured, or nothing was written.
      const after = this.lastChangeId();
      if (result.ok && after > before) result.version = after;
      return result;
    } catch (e) {
      if (e instanceof OpRejected || e instanceof UnstorableValueError) {
        return { ok: false, error: syncError('validation', `${e.message} (table "${table.name}" in ${this.label})`) };
      }
      const error = classifySqliteError(e, `writing to "${table.name}" in ${this.label}`);
      // A statement failing on its own data (a constraint) undoes only itself; anything else ends the call.
      if (error.errorClass === 'validation') return { ok: false, error };
      throw e;
    }
  }

  private upsert(table: TableSchema, key: ColumnSchema, op: UpsertOp): WriteResult {
    const values = this.columnValues(table, op.fields);
    /** A new row gets `insertOnly` too (e.g. the match key a sync does not otherwise carry); `fields` win on overlap. */
    const create = (extra?: [string, SqliteValue]): string => {
      const row = op.insertOnly ? this.columnValues(table, op.insertOnly) : new Map<string, SqliteValue>();
      for (const [k, v] of values) row.set(k, v);
      if (extra) row.set(extra[0], extra[1]);
      return this.insert(table, key, row);
    };
    let target: SqliteValue | undefined;
    if (op.key !== null) {
      target = keyValue(key, op.key);
      if (!this.exists(table, key, target)) {
        // A linked record deleted since we linked it is not re-created with only the changed fields:
        // the engine re-matches and sends the whole record.
        if (op.ifMissing === 'skip') return { ok: true, key: op.key, note: 'not-found' };
        return { ok: true, key: create([key.name, target]), created: true };
      }
      if (op.expect && !this.holds(table, key, target, this.columnValues(table, op.expect))) {
        // Compare-and-set (a write-back): the row moved on since the change being answered. Unless
        // it already holds what we would write (a replay), the newer edit stands.
        const mine = new Map(values);
        mine.delete(key.name);
        return mine.size > 0 && !this.holds(table, key, target, mine) ? { ok: true, key: op.key, note: 'stale' } : { ok: true, key: op.key };
      }
    } else {
      // A retry of a create we already made (a crash between our write and our commit): find the row
      // it made, or learn that it was deleted since — never create a second one.
      const made = this.stmt(`SELECT pk FROM ${APPLIED_TABLE} WHERE idempotency_key = ? AND tbl = ?`).pluck().get(op.idempotencyKey, table.name) as string | undefined;
      if (made !== undefined) {
        target = keyValue(key, made);
        if (!this.exists(table, key, target)) return { ok: true, key: made, note: 'not-found' };
        values.delete(key.name);
        this.update(table, key, target, values);
        return { ok: true, key: made, created: true };
      }
      // The engine matched (writers do not look again): no key means it found no record to take.
      if (op.match && !table.columnNames.has(op.match.field)) throw new OpRejected(`match column "${op.match.field}" does not exist in table "${table.name}": fix the sync's match key`);
      const inserted = create();
      this.stmt(`INSERT OR REPLACE INTO ${APPLIED_TABLE}(idempotency_key, tbl, pk, applied_at) VALUES (?, ?, ?, ?)`).run(op.idempotencyKey, table.name, inserted, Date.now());
      return { ok: true, key: inserted, created: true };
    }
    values.delete(key.name);
    this.update(table, key, target, values);
    return { ok: true, key: String(target) };
  }

  private delete(table: TableSchema, key: ColumnSchema, op: DeleteOp): WriteResult {
    const target = keyValue(key, op.key);
    const pk = quoteIdent(key.name);
    const t = quoteIdent(table.name);
    if (op.mode === 'hard') {
      const changes = this.stmt(`DELETE FROM ${t} WHERE ${pk} = ?`).run(target).changes;
      return changes > 0 ? { ok: true, key: op.key } : { ok: true, key: op.key, note: 'not-found' };
    }
    if (!op.softField) throw new OpRejected('a soft delete needs the field to mark: set the delete policy\'s field for this side');
    if (!table.columnNames.has(op.softField)) {
      throw new OpRejected(`soft-delete column "${op.softField}" does not exist: add it to the table or choose another field in the delete policy`);
    }
    if (!this.exists(table, key, target)) return { ok: true, key: op.key, note: 'not-found' };
    // The deletion time comes from the source, so replaying the same delete writes the same value.
    const soft = quoteIdent(op.softField);
    this.stmt(`UPDATE ${t} SET ${soft} = ? WHERE ${pk} = ? AND ${soft} IS NULL`).run(new Date(op.sourceTime).toISOString(), target);
    return { ok: true, key: op.key };
  }

  private columnValues(table: TableSchema, fields: Record<string, unknown>): Map<string, SqliteValue> {
    const values = new Map<string, SqliteValue>();
    for (const [name, value] of Object.entries(fields)) {
      if (!table.columnNames.has(name)) {
        const known = table.columns.map((c) => c.name).join(', ');
        throw new OpRejected(`column "${name}" does not exist in table "${table.name}" (columns: ${known}): fix the field mapping or add the column`);
      }
      values.set(name, toSqliteValue(value, name, table.columns.find((c) => c.name === name)?.declaredType ?? ''));
    }
    return values;
  }

  /** True when the row holds these values (`IS`: null equals null). */
  private holds(table: TableSchema, key: ColumnSchema, target: SqliteValue, values: Map<string, SqliteValue>): boolean {
    const cond = [...values.keys()].map((c) => ` AND ${quoteIdent(c)} IS ?`).join('');
    return this.stmt(`SELECT 1 FROM ${quoteIdent(table.name)} WHERE ${quoteIdent(key.name)} = ?${cond}`).get(target, ...values.values()) !== undefined;
  }

  private exists(table: TableSchema, key: ColumnSchema, target: SqliteValue): boolean {
    return this.stmt(`SELECT 1 FROM ${quoteIdent(table.name)} WHERE ${quoteIdent(key.name)} = ?`).get(target) !== undefined;
  }

  private appliedKey(table: TableSchema, key: ColumnSchema, idempotencyKey: string): SqliteValue | undefined {
    const pk = this.stmt(`SELECT pk FROM ${APPLIED_TABLE} WHERE idempotency_key = ? AND tbl = ?`).pluck().get(idempotencyKey, table.name) as string | undefined;
    if (pk === undefined) return undefined;
    const target = keyValue(key, pk);
    return this.exists(table, key, target) ? target : undefined;
  }

  /** Inserts and returns the new row's primary key as a string. */
  private insert(table: TableSchema, key: ColumnSchema, values: Map<string, SqliteValue>): string {
    const cols = [...values.keys()];
    const keyGiven = values.get(key.name) !== undefined && values.get(key.name) !== null;
    if (!keyGiven && (table.withoutRowid || !/^INTEGER$/i.test(key.declaredType.trim()))) {
      // SQLite would store a NULL key here (a legacy quirk), which no later write could find.
      throw new OpRejected(`new rows need a value for primary key "${key.name}" (${key.declaredType || 'no type'}): map a field onto it or make it "INTEGER PRIMARY KEY"`);
    }
    const t = quoteIdent(table.name);
    const sql =
      cols.length === 0
        ? `INSERT INTO ${t} DEFAULT VALUES`
        : `INSERT INTO ${t} (${cols.map(quoteIdent).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`;
    const info = this.stmt(sql).run(...values.values());
    const pk = keyGiven ? (values.get(key.name) as SqliteValue) : (info.lastInsertRowid as number | bigint);
    return String(pk);
  }

  /** Updates only when a value differs, so re-applying an op leaves the row and the change log untouched. */
  private update(table: TableSchema, key: ColumnSchema, target: SqliteValue, values: Map<string, SqliteValue>): void {
    if (values.size === 0) return;
    const cols = [...values.keys()];
    const params: Record<string, SqliteValue> = { key: target };
    cols.forEach((c, i) => (params[`v${i}`] = values.get(c) ?? null));
    const set = cols.map((c, i) => `${quoteIdent(c)} = @v${i}`).join(', ');
    const differs = cols.map((c, i) => `${quoteIdent(c)} IS NOT @v${i}`).join(' OR ');
    this.stmt(`UPDATE ${quoteIdent(table.name)} SET ${set} WHERE ${quoteIdent(key.name)} = @key AND (${differs})`).run(params);
  }

  private stmt(sql: string): Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare<unknown[]>(sql);
      this.statements.set(sql, s);
    }
    return s;
  }
}
