import type pg from 'pg';
import type { SourceRecord } from '../types.js';
import { decodeKey, encodeKey, keyColumns, readArrayElementTypes, readTables, type ColumnInfo, type TableInfo } from './catalog.js';
import { qualifiedTable, quoteIdent } from './names.js';
import { encodeForColumn, parserForType, type ArrayElementTypes } from './type-mapping.js';

/** Reads records for samples, preview and matching, with the same value mapping as capture. */
export class RecordReader {
  private arrays: ArrayElementTypes | null = null;
  private readonly tables = new Map<string, TableInfo>();

  constructor(private readonly pool: pg.Pool, private readonly schemas: string[]) {}

  private async prepare(entity: string): Promise<{ table: TableInfo; key: string[]; types: { getTypeParser(oid: number): (text: string) => unknown } }> {
    if (!this.arrays) this.arrays = await readArrayElementTypes(this.pool as unknown as pg.ClientBase);
    let table = this.tables.get(entity);
    if (!table) {
      [table] = await readTables(this.pool as unknown as pg.ClientBase, this.schemas, [entity]);
      if (!table) throw new Error(`table ${entity} not found in schema(s) ${this.schemas.join(', ')}`);
      this.tables.set(entity, table);
    }
    const arrays = this.arrays;
    const key = keyColumns(table);
    return { table, key: key.length > 0 ? key : table.columns.map((c) => c.name), types: { getTypeParser: (oid: number) => parserForType(oid, arrays) } };
  }

  private toRecords(rows: Record<string, unknown>[], key: string[]): SourceRecord[] {
    return rows.map((row) => ({ key: encodeKey(key.map((k) => row[k] ?? null)), fields: row }));
  }

  async samples(entity: string, limit: number): Promise<SourceRecord[]> {
    const { table, key, types } = await this.prepare(entity);
    const order = key.map((k) => quoteIdent(k)).join(', ');
    const res = await this.pool.query<Record<string, unknown>>({ text: `SELECT * FROM ${qualifiedTable(table.entity)} ORDER BY ${order} LIMIT $1`, values: [Math.max(0, Math.floor(limit))], types });
    return this.toRecords(res.rows, key);
  }

  async byKeys(entity: string, keys: string[]): Promise<SourceRecord[]> {
    if (keys.length === 0) return [];
    const { table, key, types } = await this.prepare(entity);
    const cols = key.map((k) => table.columns.find((c) => c.name === k) as ColumnInfo);
    const arrays = cols.map(() => [] as Array<string | null>);
    for (const k of keys) {
      const parts = decodeKey(k, cols.length);
      cols.forEach((c, j) => arrays[j]!.push(encodeForColumn(parts[j], { json: false, array: c.category === 'A', elementJson: false })));
    }
    const join = cols.map((c, j) => `t.${quoteIdent(c.name)} = u.c${j}::${c.nativeType}`).join(' AND ');
    const res = await this.pool.query<Record<string, unknown>>({
      text: `SELECT t.* FROM ${qualifiedTable(table.entity)} t JOIN unnest(${cols.map((_, j) => `$${j + 1}::text[]`).join(', ')}) AS u(${cols.map((_, j) => `c${j}`).join(', ')}) ON ${join}`,
      values: arrays,
      types,
    });
    return this.toRecords(res.rows, key);
  }

  async byField(entity: string, field: string, values: unknown[], normalize: 'exact' | 'lowercase-trim'): Promise<SourceRecord[]> {
    if (values.length === 0) return [];
    const { table, key, types } = await this.prepare(entity);
    const c = table.columns.find((x) => x.name === field);
    if (!c) throw new Error(`column "${field}" does not exist in table ${entity}`);
    const shape = { json: c.typeName === 'json' || c.typeName === 'jsonb', array: c.category === 'A', elementJson: false };
    const texts = values.map((v) => encodeForColumn(v, shape)).filter((t): t is string => t !== null);
    const sql =
      normalize === 'lowercase-trim'
        ? `SELECT * FROM ${qualifiedTable(table.entity)} t WHERE lower(btrim(t.${quoteIdent(field)}::text)) = ANY($1::text[])`
        : `SELECT * FROM ${qualifiedTable(table.entity)} t WHERE t.${quoteIdent(field)} = ANY($1::text[]::${c.nativeType}[])`;
    const res = await this.pool.query<Record<string, unknown>>({ text: sql, values: [normalize === 'lowercase-trim' ? texts.map((t) => t.trim().toLowerCase()) : texts], types });
    return this.toRecords(res.rows, key);
  }
}
