import type { FieldType } from '../connectors/types.js';
import { isIntegerText } from '../values/decimal.js';
import { isExactDecimal, isJsonText, isPgText, isTagged, showValue } from '../values/exact.js';

/** Postgres's spellings of numbers no decimal can write (float and numeric accept them). */
const SPECIAL_NUMBERS = new Set(['NaN', 'Infinity', '-Infinity', 'inf', '-inf', 'infinity', '-infinity']);
/** Postgres's date/time spellings beyond what JS Date reads: ±infinity, BC dates, years past 9999. */
const PG_TIME = /^(?:[+-]?infinity|-?\d{4,}-\d\d-\d\d(?:[ T]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d(?::?\d\d){0,2})?)?(?: BC)?)$/i;

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (isJsonText(value)) return 'json';
  if (isExactDecimal(value)) return 'decimal';
  if (isPgText(value)) return value.$pg;
  return typeof value;
}

/**
 * Why `value` cannot be written to a field of `type`, or null when it can. Accepts every value the
 * source types can hold (NaN, ±infinity, BC dates, integers beyond 2^53, big decimals, arrays with
 * lower bounds); the target connector refuses what its own column cannot hold exactly.
 */
export function typeMismatch(value: unknown, type: FieldType, nullable: boolean): string | null {
  if (value === null || value === undefined) return nullable ? null : 'is required (the target column is NOT NULL) but the value is empty';
  const got = kindOf(value);
  // Only a refusal shows the value: a 20 KB text that fits would otherwise be JSON-quoted per change.
  const show = () => showValue(value);
  switch (type) {
    case 'integer':
      if (typeof value === 'number' && Number.isInteger(value)) return null;
      if (typeof value === 'bigint') return null;
      if (typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value)) return null;
      if (isExactDecimal(value) && isIntegerText(value.$dec)) return null;
      if (typeof value === 'boolean') return null;
      return `expects a whole number but got ${show()} (${got})`;
    case 'number':
      if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean' || isExactDecimal(value)) return null;
      if (typeof value === 'string' && ((value.trim() !== '' && Number.isFinite(Number(value))) || SPECIAL_NUMBERS.has(value.trim()))) return null;
      if (isPgText(value) && (value.$pg === 'numeric' || value.$pg === 'float4' || value.$pg === 'float8')) return null;
      return `expects a number but got ${show()} (${got})`;
    case 'boolean':
      if (typeof value === 'boolean' || value === 0 || value === 1) return null;
      if (typeof value === 'string' && ['true', 'false', '0', '1', 't', 'f'].includes(value.toLowerCase())) return null;
      return `expects true/false but got ${show()} (${got})`;
    case 'datetime':
    case 'date':
      if (typeof value === 'number') return null;
      if (typeof value === 'string' && (PG_TIME.test(value.trim()) || !Number.isNaN(new Date(value).getTime()))) return null;
      return `expects a date but got ${show()} (${got})`;
    case 'string':
      // Every value has an exact text (a list or an object: its JSON); the connector writes that.
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || isTagged(value)) return null;
      if (typeof value === 'object') return null;
      return `expects text but got ${got}`;
    case 'array':
      // A list kept as text (a JSON array or an array literal, e.g. parked in a TEXT column) is read back by the target.
      if (typeof value === 'string' && /^\s*[[{]/.test(value)) return null;
      return Array.isArray(value) || (isPgText(value) && value.$pg === 'array') ? null : `expects a list but got ${show()} (${got})`;
    case 'json':
    case 'unknown':
      return null;
  }
}
