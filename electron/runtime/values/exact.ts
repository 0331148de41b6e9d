/**
 * Values that a plain JS value cannot carry without loss, as tagged plain objects so they survive
 * JSON into the inbox, shadows and the DLQ unchanged. Everything else travels as itself (string,
 * boolean, a number whose double is the value exactly, arrays and objects of those).
 *
 * - `{ $json }`: a JSON document as its exact text (Postgres json/jsonb). Keeps duplicate keys, key
 *   order, big numbers, and JSON `null` (`{ $json: 'null' }`) apart from SQL NULL (`null`).
 * - `{ $dec }`: a number a double cannot hold exactly (an integer beyond 2^53, a long decimal), as
 *   its decimal text.
 * - `{ $pg, text }`: a Postgres value whose text has no exact plain JS form (float NaN/±Infinity/-0,
 *   numeric NaN/±Infinity, an array with explicit lower bounds), as Postgres printed it.
 * - `{ $blob }`: bytes (a SQLite BLOB), as upper-case hex.
 */

export interface JsonText {
  $json: string;
}

export interface ExactDecimal {
  $dec: string;
}

export interface PgText {
  /** The Postgres type name (pg_type.typname: `float8`, `numeric`, `_int4`…). */
  $pg: string;
  text: string;
}

export interface BlobHex {
  $blob: string;
}

export type TaggedValue = JsonText | ExactDecimal | PgText | BlobHex;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isJsonText(v: unknown): v is JsonText {
  return isObject(v) && typeof v.$json === 'string';
}

export function isExactDecimal(v: unknown): v is ExactDecimal {
  return isObject(v) && typeof v.$dec === 'string';
}

export function isPgText(v: unknown): v is PgText {
  return isObject(v) && typeof v.$pg === 'string' && typeof v.text === 'string';
}

export function isBlobHex(v: unknown): v is BlobHex {
  return isObject(v) && typeof v.$blob === 'string';
}

export function isTagged(v: unknown): v is TaggedValue {
  return isJsonText(v) || isExactDecimal(v) || isPgText(v) || isBlobHex(v);
}

export const jsonText = (text: string): JsonText => ({ $json: text });
export const exactDecimal = (text: string): ExactDecimal => ({ $dec: text });
export const pgText = (type: string, text: string): PgText => ({ $pg: type, text });

/** The value's exact text where it has one: what a text column receives and what messages show. */
export function exactText(v: unknown): string | null {
  if (isJsonText(v)) return v.$json;
  if (isExactDecimal(v)) return v.$dec;
  if (isPgText(v)) return v.text;
  // Postgres's bytea input reads this spelling; a text column gets the same readable form.
  if (isBlobHex(v)) return `\\x${v.$blob.toLowerCase()}`;
  return null;
}

/** A short, exact rendering of a value for error messages (never rounded: big numbers stay digits). */
export function showValue(v: unknown): string {
  const text = exactText(v);
  const s = text !== null ? text : typeof v === 'string' ? JSON.stringify(v) : typeof v === 'bigint' ? String(v) : Object.is(v, -0) ? '-0' : (JSON.stringify(v) ?? String(v));
  return s.length > 64 ? `${s.slice(0, 64)}…` : s;
}
