import type { FieldInfo } from '../types.js';
import type { TableInfo } from './catalog.js';
import { qualifiedTable, quoteIdent } from './names.js';

const TEXT_TYPES = new Set(['text', 'varchar', 'bpchar', 'citext']);

export interface MatchUniqueness {
  /** A unique index (or the primary key) on the column alone: `ON CONFLICT (col)` can name it. */
  index: boolean;
  /** Two rows cannot hold equal values. */
  exact: boolean;
  /** Two rows cannot hold values equal after lower-casing (and trimming): the case-insensitive match. */
  caseInsensitive: boolean;
}

/**
 * What the table itself guarantees about a match column, from its catalog. Matching creates a record
 * when it finds none with the value; only a unique index makes that safe against a record created
 * by someone else meanwhile. citext compares case-insensitively, so its plain unique index counts
 * for both; so does any unique index on a column that has no letter case (numbers, uuids).
 */
export function matchUniqueness(table: TableInfo, columnName: string): MatchUniqueness {
  const c = table.columns.find((x) => x.name === columnName);
  const index = (table.primaryKey.length === 1 && table.primaryKey[0] === columnName) || table.uniqueIndexes.some((u) => u.length === 1 && u[0] === columnName);
  const lowered = table.lowerUniqueColumns.includes(columnName);
  const caseless = c !== undefined && (c.typeName === 'citext' || !TEXT_TYPES.has(c.typeName));
  return { index, exact: index || lowered, caseInsensitive: lowered || (index && caseless) };
}

/** FieldInfo.unique of a Postgres column: what the table guarantees and the statement that adds what it lacks. */
export function fieldUniqueness(table: TableInfo, columnName: string): NonNullable<FieldInfo['unique']> {
  const { exact, caseInsensitive } = matchUniqueness(table, columnName);
  const c = table.columns.find((x) => x.name === columnName);
  const on = (expr: string) => `CREATE UNIQUE INDEX CONCURRENTLY ON ${qualifiedTable(table.entity)} (${expr});`;
  const plain = on(quoteIdent(columnName));
  // The expression matching compares (connectors/postgres/record-reader.ts byField), so that read can use the index too.
  const lowered = c !== undefined && TEXT_TYPES.has(c.typeName) && c.typeName !== 'citext' ? on(`lower(btrim(${quoteIdent(columnName)}))`) : plain;
  return { exact, caseInsensitive, fix: { exact: plain, caseInsensitive: lowered } };
}
