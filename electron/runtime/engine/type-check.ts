import type { FieldType } from '../connectors/types.js';

/** Why `value` cannot be written to a field of `type`, or null when it can. */
export function typeMismatch(value: unknown, type: FieldType, nullable: boolean): string | null {
  if (value === null || value === undefined) return nullable ? null : 'is required (the target column is NOT NULL) but the value is empty';
  const got = Array.isArray(value) ? 'array' : typeof value;
  const show = typeof value === 'string' ? JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value) : typeof value === 'bigint' ? String(value) : JSON.stringify(value);
  switch (type) {
    case 'integer':
      if (typeof value === 'number' && Number.isInteger(value)) return null;
      if (typeof value === 'bigint') return null;
      if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return null;
      if (typeof value === 'boolean') return null;
      return `expects a whole number but got ${show} (${got})`;
    case 'number':
      if (typeof value === 'number' && Number.isFinite(value)) return null;
      if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return null;
      if (typeof value === 'boolean') return null;
      return `expects a number but got ${show} (${got})`;
    case 'boolean':
      if (typeof value === 'boolean' || value === 0 || value === 1) return null;
      if (typeof value === 'string' && ['true', 'false', '0', '1', 't', 'f'].includes(value.toLowerCase())) return null;
      return `expects true/false but got ${show} (${got})`;
    case 'datetime':
    case 'date':
      if (typeof value === 'number') return null;
      if (typeof value === 'string' && !Number.isNaN(new Date(value).getTime())) return null;
      return `expects a date but got ${show} (${got})`;
    case 'string':
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return null;
      return `expects text but got ${got}`;
    case 'array':
      return Array.isArray(value) ? null : `expects a list but got ${show} (${got})`;
    case 'json':
    case 'unknown':
      return null;
  }
}
