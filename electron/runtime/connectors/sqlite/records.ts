import path from 'node:path';
import type { SourceRecord } from '../types.js';
import { NORMALIZE_FN, normalizeMatchValue, type Db } from './database.js';
import { SqliteSetupError } from './config.js';
import { quoteIdent } from './sql-quote.js';
import { keyColumnOf, keyValue, type ColumnSchema, type SchemaCache, type TableSchema } from './table-schema.js';
import { fromSqliteRow, jsonColumnsOf, toSqliteValue } from './values.js';

/** SQLite allows 32766 bound parameters; chunks stay far below and keep statements reusable. */
const IN_CHUNK = 500;

/** Reads records for preview, matching and backfill. */
export class SqliteRecordReader {
  private readonly label: string;

  constructor(
    private readonly db: Db,
    private readonly schemas: SchemaCache,
    file: string,
  ) {
    this.label = path.basename(file);
  }

  samples(entity: string, limit: number): SourceRecord[] {
    const { table, key } = this.table(entity);
    const n = Math.max(0, Math.min(Math.floor(limit), 10_000));
    const rows = this.db.prepare(`SELECT * FROM ${quoteIdent(table.name)} ORDER BY ${quoteIdent(key.name)} LIMIT ?`).safeIntegers(true).all(n) as Record<string, unknown>[];
    return rows.map((r) => this.record(table, key, r));
  }

  byKeys(entity: string, keys: string[]): SourceRecord[] {
    const { table, key } = this.table(entity);
    return this.inChunks(table, key, quoteIdent(key.name), [...new Set(keys)].map((k) => keyValue(key, k)));
  }

  byField(entity: string, field: string, values: unknown[], normalize: 'exact' | 'lowercase-trim'): SourceRecord[] {
    const { table, key } = this.table(entity);
    if (!table.columnNames.has(field)) {
      throw new SqliteSetupError(`column "${field}" does not exist in table "${table.name}" of ${this.label}: pick one of ${table.columns.map((c) => c.name).join(', ')}`);
    }
    const wanted = values.filter((v) => v !== null && v !== undefined);
    if (normalize === 'lowercase-trim') {
      const normalized = [...new Set(wanted.map((v) => normalizeMatchValue(v)))];
      return this.inChunks(table, key, `${NORMALIZE_FN}(${quoteIdent(field)})`, normalized);
    }
    return this.inChunks(table, key, quoteIdent(field), wanted.map((v) => toSqliteValue(v, field)));
  }

  private inChunks(table: TableSchema, key: ColumnSchema, expr: string, values: unknown[]): SourceRecord[] {
    const out: SourceRecord[] = [];
    for (let i = 0; i < values.length; i += IN_CHUNK) {
      const chunk = values.slice(i, i + IN_CHUNK);
      const sql = `SELECT * FROM ${quoteIdent(table.name)} WHERE ${expr} IN (${chunk.map(() => '?').join(', ')}) ORDER BY ${quoteIdent(key.name)}`;
      for (const r of this.db.prepare(sql).safeIntegers(true).all(...chunk) as Record<string, unknown>[]) out.push(this.record(table, key, r));
    }
    return out;
  }

  private record(table: TableSchema, key: ColumnSchema, row: Record<string, unknown>): SourceRecord {
    return { key: String(row[key.name]), fields: fromSqliteRow(row, jsonColumnsOf(table.columns)) };
  }

  private table(entity: string): { table: TableSchema; key: ColumnSchema } {
    const table = this.schemas.get(entity);
    if (!table) throw new SqliteSetupError(`table "${entity}" does not exist in ${this.label}: check the entity name or create the table`);
    const key = keyColumnOf(table);
    if (!key.ok) throw new SqliteSetupError(`${key.problem} (${this.label})`);
    return { table, key: key.column };
  }
}
