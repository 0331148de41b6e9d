import type pg from 'pg';
import type { EntityInfo, FieldInfo } from '../types.js';
import { fieldUniqueness } from './match-uniqueness.js';
import { entityName } from './names.js';
import { fieldTypeFor } from './type-mapping.js';

/** What the connector knows about one table, read from pg_catalog. */

export interface ColumnInfo {
  name: string;
  typeOid: number;
  typeName: string;
  /** `format_type` output, e.g. `numeric(12,2)`, `text[]`; used for casts on write. */
  nativeType: string;
  category: string;
  elementTypeName: string | null;
  nullable: boolean;
  generated: boolean;
  hasDefault: boolean;
}

export type ReplicaIdentity = 'default' | 'nothing' | 'full' | 'index';

export interface TableInfo {
  oid: number;
  schema: string;
  table: string;
  entity: string;
  replicaIdentity: ReplicaIdentity;
  columns: ColumnInfo[];
  primaryKey: string[];
  /** Columns of the REPLICA IDENTITY USING INDEX index, when set. */
  identityIndex: string[] | null;
  /** Unique indexes (no predicate, no expression) other than the primary key. */
  uniqueIndexes: string[][];
  /** Columns with a unique index on `lower(col)` or `lower(btrim(col))` alone (no predicate): unique case-insensitively. */
  lowerUniqueColumns: string[];
}

const IDENT: Record<string, ReplicaIdentity> = { d: 'default', n: 'nothing', f: 'full', i: 'index' };

export async function readTables(client: pg.ClientBase, schemas: string[], onlyEntities?: string[]): Promise<TableInfo[]> {
  const tables = await client.query<{ oid: number; nspname: string; relname: string; relreplident: string }>(
    `SELECT c.oid, n.nspname, c.relname, c.relreplident
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1::text[]) AND NOT c.relispartition
      ORDER BY n.nspname, c.relname`,
    [schemas],
  );
  let rows = tables.rows;
  if (onlyEntities) {
    const wanted = new Set(onlyEntities);
    rows = rows.filter((r) => wanted.has(entityName(r.nspname, r.relname)));
  }
  if (rows.length === 0) return [];
  const oids = rows.map((r) => r.oid);
  const columns = await client.query<{
    attrelid: number; attname: string; atttypid: number; native: string; typname: string; typcategory: string;
    elemname: string | null; attnotnull: boolean; attgenerated: string; atthasdef: boolean;
  }>(
    `SELECT a.attrelid, a.attname, a.atttypid, format_type(a.atttypid, a.atttypmod) AS native,
            t.typname, t.typcategory, et.typname AS elemname, a.attnotnull, a.attgenerated::text AS attgenerated, a.atthasdef
       FROM pg_attribute a
       JOIN pg_type t ON t.oid = a.atttypid
       LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'
      WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attrelid, a.attnum`,
    [oids],
  );
  const indexes = await client.query<{ indrelid: number; cols: string[]; indisprimary: boolean; indisreplident: boolean; expr: string | null }>(
    `SELECT i.indrelid, i.indisprimary, i.indisreplident,
            array(SELECT a.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS cols,
            CASE WHEN i.indexprs IS NOT NULL THEN CASE WHEN i.indnatts = 1 THEN pg_get_indexdef(i.indexrelid, 1, true) ELSE '' END END AS expr
       FROM pg_index i
      WHERE i.indrelid = ANY($1::oid[]) AND i.indisunique AND i.indpred IS NULL AND i.indisvalid
      ORDER BY i.indrelid, i.indexrelid`,
    [oids],
  );
  const byOid = new Map<number, TableInfo>();
  for (const r of rows) {
    byOid.set(r.oid, {
      oid: r.oid,
      schema: r.nspname,
      table: r.relname,
      entity: entityName(r.nspname, r.relname),
      replicaIdentity: IDENT[r.relreplident] ?? 'default',
      columns: [],
      primaryKey: [],
      identityIndex: null,
      uniqueIndexes: [],
      lowerUniqueColumns: [],
    });
  }
  for (const c of columns.rows) {
    byOid.get(c.attrelid)?.columns.push({
      name: c.attname,
      typeOid: c.atttypid,
      typeName: c.typname,
      nativeType: c.native,
      category: c.typcategory,
      elementTypeName: c.elemname,
      nullable: !c.attnotnull,
      generated: c.attgenerated !== '',
      hasDefault: c.atthasdef,
    });
  }
  for (const i of indexes.rows) {
    const t = byOid.get(i.indrelid);
    if (!t) continue;
    if (i.expr !== null) {
      const lowered = loweredColumn(i.expr);
      if (lowered !== null) t.lowerUniqueColumns.push(lowered);
      continue;
    }
    if (i.indisprimary) t.primaryKey = i.cols;
    else t.uniqueIndexes.push(i.cols);
    if (i.indisreplident) t.identityIndex = i.cols;
  }
  return [...byOid.values()];
}

/**
 * The column of an index expression `lower(col)` or `lower(btrim(col))` (as pg_get_indexdef prints
 * it: a cast to text, a quoted name), or null for any other expression.
 */
export function loweredColumn(expr: string): string | null {
  const m = /^lower\((?:btrim\((.+)\)|(.+))\)$/.exec(expr.trim());
  const inner = (m?.[1] ?? m?.[2])?.replace(/::(text|character varying)$/, '').replace(/^\((.+)\)$/, '$1');
  if (inner === undefined) return null;
  if (/^[a-z_][a-z0-9_$]*$/.test(inner)) return inner;
  const quoted = /^"((?:[^"]|"")+)"$/.exec(inner);
  return quoted ? quoted[1]!.replace(/""/g, '"') : null;
}

/**
 * The columns whose values make ChangeEvent.key: the replica identity index when one is set,
 * else the primary key, else a unique index over NOT NULL columns. Empty when the table has no key at all.
 */
export function keyColumns(table: TableInfo): string[] {
  // With REPLICA IDENTITY USING INDEX, deletes carry only that index's columns, so it must be the key.
  if (table.replicaIdentity === 'index' && table.identityIndex) return table.identityIndex;
  if (table.primaryKey.length > 0) return table.primaryKey;
  for (const cols of table.uniqueIndexes) {
    if (cols.every((name) => table.columns.find((c) => c.name === name)?.nullable === false)) return cols;
  }
  return [];
}

/** One key column → its value as text; several → a JSON array, so the parts stay separable. */
export function encodeKey(values: readonly unknown[]): string {
  if (values.length === 1) {
    const v = values[0];
    return typeof v === 'string' ? v : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
  }
  return JSON.stringify(values);
}

export function decodeKey(key: string, columnCount: number): unknown[] {
  if (columnCount === 1) return [key];
  let parsed: unknown;
  try {
    parsed = JSON.parse(key);
  } catch {
    parsed = null;
  }
  if (!Array.isArray(parsed) || parsed.length !== columnCount) {
    throw new Error(`key "${key}" is not a JSON array of ${columnCount} values, as this table's composite key needs`);
  }
  return parsed;
}

export function toEntityInfo(table: TableInfo): EntityInfo {
  const key = keyColumns(table);
  const fields: FieldInfo[] = table.columns.map((c) => ({
    name: c.name,
    type: fieldTypeFor(c.typeName, c.category),
    nativeType: c.nativeType,
    nullable: c.nullable,
    primaryKey: table.primaryKey.includes(c.name),
    unique: fieldUniqueness(table, c.name),
  }));
  return {
    name: table.entity,
    label: key.length === 0 ? `${table.entity} (no primary key)` : table.entity,
    keyField: key.join(','),
    fields,
  };
}

/** Array type oid → element type oid for every array type (built-in and user-defined). */
export async function readArrayElementTypes(client: pg.ClientBase): Promise<Map<number, number>> {
  const res = await client.query<{ oid: number; typelem: number }>(`SELECT oid, typelem FROM pg_type WHERE typcategory = 'A' AND typelem <> 0`);
  return new Map(res.rows.map((r) => [r.oid, r.typelem]));
}
