import type { Db } from './database.js';

/**
 * The allowed-values rules of a table's columns, read from its CREATE TABLE text: a CHECK of the
 * form `col IN ('a', 'b', …)` (column or table constraint, the column quoted or not). Only plain
 * text lists are read; anything else (ranges, functions, NOT IN) is left to the target to enforce,
 * so a value it refuses still lands in the DLQ with its reason.
 */
export function allowedValuesOf(createSql: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const check = /CHECK\s*\(\s*(?:"((?:[^"]|"")+)"|`([^`]+)`|\[([^\]]+)\]|([A-Za-z_][A-Za-z0-9_]*))\s+IN\s*\(((?:\s*'(?:[^']|'')*'\s*,?)+)\)\s*\)/gi;
  for (const m of createSql.matchAll(check)) {
    const column = (m[1]?.replace(/""/g, '"') ?? m[2] ?? m[3] ?? m[4])!;
    const values = [...m[5]!.matchAll(/'((?:[^']|'')*)'/g)].map((v) => v[1]!.replace(/''/g, "'"));
    if (values.length > 0) out.set(column.toLowerCase(), values);
  }
  return out;
}

/** The table's CREATE TABLE text as SQLite keeps it ('' when there is none). */
export function createSqlOf(db: Db, table: string): string {
  return (db.prepare("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?").pluck().get(table) as string | undefined) ?? '';
}
