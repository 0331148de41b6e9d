import type { Db } from './database.js';
import { quoteIdent } from './sql-quote.js';

export const INTERNAL_PREFIX = '_synccanvas_';

export interface ColumnSchema {
  name: string;
  /** The declared type as written in CREATE TABLE ('' when none). */
  declaredType: string;
  notNull: boolean;
  /** 1-based position in the primary key, 0 when not part of it. */
  pkIndex: number;
}

export interface TableSchema {
  name: string;
  columns: ColumnSchema[];
  columnNames: ReadonlySet<string>;
  /** Primary-key columns in key order (empty when the table has none). */
  primaryKey: string[];
  withoutRowid: boolean;
}

interface TableListRow {
  schema: string;
  name: string;
  type: string;
  wr: number;
}

interface TableInfoRow {
  name: string;
  type: string;
  notnull: number;
  pk: number;
}

/** Ordinary tables of the main database, without SQLite's own and ours. */
export function listUserTables(db: Db): string[] {
  return (db.pragma('table_list') as TableListRow[])
    .filter((t) => t.schema === 'main' && t.type === 'table' && !t.name.startsWith('sqlite_') && !t.name.startsWith(INTERNAL_PREFIX))
    .map((t) => t.name)
    .sort((a, b) => a.localeCompare(b));
}

export function readTableSchema(db: Db, name: string): TableSchema | undefined {
  const listed = (db.pragma(`table_list(${quoteIdent(name)})`) as TableListRow[]).find((t) => t.schema === 'main' && t.type === 'table');
  if (!listed) return undefined;
  const columns = (db.pragma(`table_info(${quoteIdent(name)})`) as TableInfoRow[]).map((c) => ({
    name: c.name,
    declaredType: c.type,
    notNull: c.notnull === 1,
    pkIndex: c.pk,
  }));
  const primaryKey = columns.filter((c) => c.pkIndex > 0).sort((a, b) => a.pkIndex - b.pkIndex).map((c) => c.name);
  return { name: listed.name, columns, columnNames: new Set(columns.map((c) => c.name)), primaryKey, withoutRowid: listed.wr === 1 };
}

/** The single key column SyncCanvas needs, or a sentence saying how to give the table one. */
export function keyColumnOf(table: TableSchema): { ok: true; column: ColumnSchema } | { ok: false; problem: string } {
  if (table.primaryKey.length === 1) {
    const column = table.columns.find((c) => c.name === table.primaryKey[0]);
    if (column) return { ok: true, column };
  }
  if (table.primaryKey.length === 0) {
    return {
      ok: false,
      problem: `table "${table.name}" has no primary key: give it one (e.g. recreate it with "id INTEGER PRIMARY KEY") so SyncCanvas can tell its records apart`,
    };
  }
  return {
    ok: false,
    problem: `table "${table.name}" has a composite primary key (${table.primaryKey.join(', ')}): SyncCanvas needs a single-column primary key — add one, e.g. "id INTEGER PRIMARY KEY", and keep the composite as a UNIQUE constraint`,
  };
}

/** SQLite's affinity rule: a declared type containing "INT" stores integers. */
export function hasIntegerAffinity(column: ColumnSchema): boolean {
  return /INT/i.test(column.declaredType);
}

/** Turns a key string back into the value stored, so lookups hit the primary-key index with the right type. */
export function keyValue(column: ColumnSchema, key: string): string | number {
  if (hasIntegerAffinity(column) && /^-?\d{1,15}$/.test(key)) return Number(key);
  return key;
}

/**
 * Table schemas, re-read only when the database schema changed (PRAGMA schema_version moves on
 * every CREATE/ALTER/DROP, ours or the user's).
 */
export class SchemaCache {
  private version = -1;
  private readonly tables = new Map<string, TableSchema | undefined>();
  private readonly versionStmt;
  private readonly listeners: Array<() => void> = [];

  constructor(private readonly db: Db) {
    this.versionStmt = db.prepare('PRAGMA schema_version').pluck();
  }

  /** Called after the schema changed, e.g. to drop prepared statements. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Returns true when the schema changed since the last call. */
  refresh(): boolean {
    const v = this.versionStmt.get() as number;
    if (v === this.version) return false;
    this.version = v;
    this.tables.clear();
    for (const l of this.listeners) l();
    return true;
  }

  get(name: string): TableSchema | undefined {
    this.refresh();
    if (!this.tables.has(name)) this.tables.set(name, readTableSchema(this.db, name));
    return this.tables.get(name);
  }
}
