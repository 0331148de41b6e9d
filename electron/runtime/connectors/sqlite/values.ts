import { isExactDouble } from '../../values/decimal.js';
import { isBlobHex, isExactDecimal, isJsonText, isPgText, showValue } from '../../values/exact.js';
import { NotJsonError, stringifyLossless } from '../../values/lossless-json.js';

/**
 * Conversions between ChangeEvent field values and what SQLite stores, keeping storage classes:
 * a whole number is bound as an INTEGER (bound as a double it is a REAL, and a TEXT column then
 * stores "1.0" for 1), a whole REAL captured as `{ $dec: '1.0' }` stays a REAL, a BLOB stays a
 * BLOB. What a column would silently round (a long decimal into a REAL, an integer past 2^63 into
 * an INTEGER) is refused with the column, the value and the column's type (docs/values.md).
 */

export type SqliteValue = string | number | bigint | Buffer | null;

export class UnstorableValueError extends Error {
  override name = 'UnstorableValueError';
}

export type Affinity = 'INTEGER' | 'TEXT' | 'BLOB' | 'REAL' | 'NUMERIC';

/** SQLite's affinity rules (section 3.1 of "Datatypes In SQLite"), in their order. */
export function affinityOf(declaredType: string): Affinity {
  const t = declaredType.toUpperCase();
  if (t.includes('INT')) return 'INTEGER';
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return 'TEXT';
  if (t.includes('BLOB') || t === '') return 'BLOB';
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return 'REAL';
  return 'NUMERIC';
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** What SQLite reads as a number literal when a numeric column converts text. */
const NUMBER_TEXT = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;
const INTEGER_TEXT = /^\s*[+-]?\d+\s*$/;
/** json_object()'s spelling of an infinite REAL. */
const SQLITE_INFINITY = /^(-?)9\.0e\+999$/;

function refuse(column: string, declaredType: string, value: unknown, why: string): never {
  throw new UnstorableValueError(`column "${column}"${declaredType ? ` (${declaredType})` : ''} cannot hold ${showValue(value)} exactly: ${why}`);
}

/** A decimal text for a column of `affinity`: a number when it converts exactly, else the text or a refusal. */
function decimalFor(text: string, column: string, declaredType: string, affinity: Affinity, original: unknown): SqliteValue {
  const inf = SQLITE_INFINITY.exec(text);
  if (inf) return affinity === 'TEXT' ? text : inf[1] ? -Infinity : Infinity;
  if (INTEGER_TEXT.test(text)) {
    const n = BigInt(text.trim());
    if (n === 0n && text.trim().startsWith('-')) {
      if (affinity === 'TEXT' || affinity === 'BLOB') return text;
      return refuse(column, declaredType, original, 'SQLite stores -0 as 0; map it to a TEXT column');
    }
    if (n >= INT64_MIN && n <= INT64_MAX) return affinity === 'TEXT' ? text.trim() : n;
    if (affinity === 'TEXT' || affinity === 'BLOB') return text;
    return refuse(column, declaredType, original, 'SQLite integers end at ±2^63; map it to a TEXT column');
  }
  if (isExactDouble(text) || /^-?\d+\.0(e[+-]\d+)?$/.test(text)) return affinity === 'TEXT' ? text : Number(text);
  if (affinity === 'TEXT' || affinity === 'BLOB') return text;
  return refuse(column, declaredType, original, 'a REAL holds about 16 significant digits; map it to a TEXT column');
}

export function toSqliteValue(value: unknown, column: string, declaredType = ''): SqliteValue {
  if (value === null || value === undefined) return null;
  const affinity = affinityOf(declaredType);
  switch (typeof value) {
    case 'string':
      // A numeric column turns number-like text into a number: only let it when nothing is lost.
      if ((affinity === 'INTEGER' || affinity === 'REAL' || affinity === 'NUMERIC') && NUMBER_TEXT.test(value)) return decimalFor(value, column, declaredType, affinity, value) as SqliteValue;
      return value;
    case 'bigint':
      if (value < INT64_MIN || value > INT64_MAX) return decimalFor(value.toString(), column, declaredType, affinity, value);
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new UnstorableValueError(`column "${column}" cannot store ${value}: send a finite number or null`);
      // A TEXT column would print a REAL with 15 digits (0.30000000000000004 → "0.3"): give it the exact text.
      if (affinity === 'TEXT') return Object.is(value, -0) ? '-0' : String(value);
      return Number.isSafeInteger(value) && !Object.is(value, -0) ? BigInt(value) : value;
    case 'boolean':
      return value ? 1n : 0n;
    case 'object':
      if (isBlobHex(value)) return Buffer.from(value.$blob, 'hex');
      if (isExactDecimal(value)) return decimalFor(value.$dec, column, declaredType, affinity, value);
      // A number document in a numeric column (a JSON column has NUMERIC affinity) becomes a number: only when exact.
      if (isJsonText(value)) return affinity !== 'TEXT' && affinity !== 'BLOB' && NUMBER_TEXT.test(value.$json) ? decimalFor(value.$json, column, declaredType, affinity, value) : value.$json;
      if (isPgText(value)) {
        if (affinity === 'TEXT' || affinity === 'BLOB') return value.text;
        // NaN would be stored as NULL; an array literal would be stored as its text in a numeric column.
        return refuse(column, declaredType, value, `SQLite has no ${value.$pg} value like it; map it to a TEXT column`);
      }
      if (value instanceof Date) return value.toISOString();
      if (Buffer.isBuffer(value)) return value;
      if (value instanceof Uint8Array) return Buffer.from(value);
      try {
        return stringifyLossless(value);
      } catch (e) {
        if (e instanceof NotJsonError) return refuse(column, declaredType, value, e.message);
        throw e;
      }
    default:
      throw new UnstorableValueError(`column "${column}" cannot store a ${typeof value}`);
  }
}

/** One read value as a change carries it: BLOBs tagged, integers past 2^53 exact (read with safeIntegers). */
function fromSqliteValue(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return { $blob: v.toString('hex').toUpperCase() };
  if (typeof v === 'bigint') return v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : { $dec: v.toString() };
  return v;
}

/** Columns declared JSON, whose text is a JSON document rather than a string. */
export function jsonColumnsOf(columns: ReadonlyArray<{ name: string; declaredType: string }>): string[] {
  return columns.filter((c) => /JSON/i.test(c.declaredType)).map((c) => c.name);
}

/**
 * A JSON column's valid document text as `{ $json }`, so it reaches a json/jsonb column or a JSON
 * body as the document, not as a string holding it. Other text in it stays a string.
 */
export function tagJsonColumns(row: Record<string, unknown>, jsonColumns: readonly string[]): Record<string, unknown> {
  for (const c of jsonColumns) {
    const v = row[c];
    if (typeof v !== 'string') continue;
    try {
      JSON.parse(v);
      row[c] = { $json: v };
    } catch {
      // not a JSON document: keep the text
    }
  }
  return row;
}

/** Record values as the change log shows them, so reads and captured changes agree. */
export function fromSqliteRow(row: Record<string, unknown>, jsonColumns: readonly string[] = []): Record<string, unknown> {
  for (const k in row) row[k] = fromSqliteValue(row[k]);
  return jsonColumns.length > 0 ? tagJsonColumns(row, jsonColumns) : row;
}
