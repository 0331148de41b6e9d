import type { FieldType } from '../types.js';
import { exactText, isJsonText, jsonText, pgText } from '../../values/exact.js';
import { parseLosslessJson, stringifyLossless } from '../../values/lossless-json.js';
import { formatArrayLiteral, parseArrayLiteral } from './array-literal.js';

/**
 * Faithful text → JS mapping for values read in Postgres text format (pgoutput and snapshots).
 * Sessions run with DateStyle=ISO and TimeZone=UTC (see connection-options.ts) so time values
 * arrive in one shape. Exactness beats convenience (docs/values.md): int8 and numeric stay strings,
 * timestamps keep their microseconds as ISO strings instead of becoming a millisecond Date, json
 * and jsonb stay their exact text (`{ $json }`), and a value with no exact plain form (float
 * NaN/±Infinity/-0, numeric NaN/±Infinity, an array with explicit lower bounds) stays Postgres's
 * text (`{ $pg, text }`). Writing any of these back into the same type gives Postgres that text.
 */

export const OID = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  numeric: 1700,
  jsonb: 3802,
} as const;

export type ValueParser = (text: string) => unknown;

/** Array type oid → element type oid, read from pg_type once per connection. */
export type ArrayElementTypes = ReadonlyMap<number, number>;

const TS_PATTERN = /^(-?\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d\d(?::\d\d){0,2})?( BC)?$/;

export function parseTimestamp(text: string): string {
  const m = TS_PATTERN.exec(text);
  if (!m || m[4]) return text; // infinity, BC dates: keep the server's own spelling
  const zone = m[3];
  if (zone === undefined) return `${m[1]}T${m[2]}`;
  if (zone === '+00' || zone === '-00' || zone === '+00:00') return `${m[1]}T${m[2]}Z`;
  return `${m[1]}T${m[2]}${zone.length === 3 ? `${zone}:00` : zone}`;
}

function floatParser(type: string): ValueParser {
  // Postgres prints a float's shortest round-trip text, so its double is the value exactly; only
  // NaN, ±Infinity and -0 have no exact JSON form. (No String(n) round trip: it would triple the cost.)
  return (t) => {
    const n = Number(t);
    return Number.isFinite(n) && !(n === 0 && t.startsWith('-')) ? n : pgText(type, t);
  };
}

function parseNumeric(text: string): unknown {
  // Digits stay a string (any precision and scale); NaN and ±Infinity are no decimal text.
  return text === 'NaN' || text === 'Infinity' || text === '-Infinity' ? pgText('numeric', text) : text;
}

const scalarParsers = new Map<number, ValueParser>([
  [OID.bool, (t) => t === 't'],
  [OID.int2, (t) => Number(t)],
  [OID.int4, (t) => Number(t)],
  [OID.oid, (t) => Number(t)],
  [OID.int8, (t) => t],
  [OID.numeric, parseNumeric],
  [OID.float4, floatParser('float4')],
  [OID.float8, floatParser('float8')],
  [OID.json, jsonText],
  [OID.jsonb, jsonText],
  [OID.timestamp, parseTimestamp],
  [OID.timestamptz, parseTimestamp],
]);

const identity: ValueParser = (t) => t;

export function parserForType(typeOid: number, arrays: ArrayElementTypes): ValueParser {
  const scalar = scalarParsers.get(typeOid);
  if (scalar) return scalar;
  const element = arrays.get(typeOid);
  if (element !== undefined) {
    const parseElement = parserForType(element, arrays);
    // Explicit lower bounds (`[0:1]={a,b}`) have no JS array form: keep the literal.
    return (t) => (t.startsWith('[') ? pgText('array', t) : parseArrayLiteral(t, parseElement));
  }
  return identity;
}

/** Which FieldType the mapping editor shows for a column, from pg_type's name and category. */
export function fieldTypeFor(typeName: string, category: string): FieldType {
  if (category === 'A') return 'array';
  switch (typeName) {
    case 'int2':
    case 'int4':
    case 'int8':
    case 'oid':
      return 'integer';
    case 'float4':
    case 'float8':
    case 'numeric':
      return 'number';
    case 'bool':
      return 'boolean';
    case 'timestamp':
    case 'timestamptz':
      return 'datetime';
    case 'date':
      return 'date';
    case 'json':
    case 'jsonb':
      return 'json';
    default:
      return category === 'S' || category === 'E' || typeName === 'uuid' ? 'string' : 'unknown';
  }
}

/** How a column receives a value on write: its type's text input, given the column's shape. */
export interface ColumnShape {
  json: boolean;
  array: boolean;
  elementJson: boolean;
}

function encodeScalar(value: unknown, json: boolean): string {
  // Kept text goes back as it came: the same type reads it into the same value.
  const text = exactText(value);
  if (text !== null) return json && !isJsonText(value) && typeof (value as { $pg?: unknown }).$pg === 'string' ? stringifyLossless(value) : text;
  if (json) return stringifyLossless(value);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object' && value !== null) return stringifyLossless(value);
  if (Object.is(value, -0)) return '-0';
  return String(value);
}

/** A JS value as the text Postgres parses into the column's type (null stays null). */
export function encodeForColumn(value: unknown, shape: ColumnShape): string | null {
  if (value === null || value === undefined) return null;
  if (shape.array) {
    if (!Array.isArray(value)) {
      const text = exactText(value);
      if (text !== null) return text;
      if (typeof value === 'string') {
        // Already an array literal in text form (e.g. copied from another Postgres as text).
        if (value.startsWith('{') || /^\[-?\d+:-?\d+\]/.test(value)) return value;
        // A JSON array kept as text (e.g. a Postgres array that went through a SQLite TEXT column).
        if (value.startsWith('[')) {
          let parsed: unknown = null;
          try {
            parsed = parseLosslessJson(value);
          } catch {
            parsed = null;
          }
          if (Array.isArray(parsed)) return formatArrayLiteral(parsed, (v) => encodeScalar(v, shape.elementJson));
        }
      }
      return formatArrayLiteral([value], (v) => encodeScalar(v, shape.elementJson));
    }
    return formatArrayLiteral(value, (v) => encodeScalar(v, shape.elementJson));
  }
  return encodeScalar(value, shape.json);
}
