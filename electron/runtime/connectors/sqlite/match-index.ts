import { NORMALIZE_FN, normalizeMatchValue, type Db } from './database.js';
import { quoteIdent } from './sql-quote.js';
import type { ColumnSchema, TableSchema } from './table-schema.js';
import type { SqliteValue } from './values.js';

/** From this many case-insensitive lookups on one column in one write call, one table scan beats one scan per lookup. */
export const MATCH_INDEX_THRESHOLD = 4;

/**
 * normalized value → primary keys, built with one scan inside the write transaction (so no one else
 * can change the table meanwhile). Entries may go stale as the call updates rows, so lookups
 * re-check each candidate by primary key; rows the call inserts or updates are added.
 */
export class MatchIndex {
  private readonly byValue = new Map<string, SqliteValue[]>();
  private readonly verify;

  constructor(db: Db, table: TableSchema, key: ColumnSchema, field: string) {
    const t = quoteIdent(table.name);
    const pk = quoteIdent(key.name);
    const col = quoteIdent(field);
    for (const row of db.prepare(`SELECT ${pk} AS k, ${col} AS v FROM ${t} WHERE ${col} IS NOT NULL`).iterate() as Iterable<{ k: SqliteValue; v: unknown }>) {
      this.add(row.v, row.k);
    }
    this.verify = db.prepare(`SELECT 1 FROM ${t} WHERE ${pk} = ? AND ${NORMALIZE_FN}(${col}) = ?`);
  }

  add(value: unknown, pk: SqliteValue): void {
    const norm = normalizeMatchValue(value);
    if (norm === null) return;
    const list = this.byValue.get(norm);
    if (!list) this.byValue.set(norm, [pk]);
    else if (!list.includes(pk)) list.push(pk);
  }

  /** Keys of rows whose column normalizes to `value`, as the table is now. */
  find(value: unknown): SqliteValue[] {
    const norm = normalizeMatchValue(value);
    if (norm === null) return [];
    return (this.byValue.get(norm) ?? []).filter((pk) => this.verify.get(pk, norm) !== undefined);
  }
}
