import type { Transform } from '../../../shared/flow/schema.js';
import { exactText } from '../values/exact.js';

export class TransformError extends Error {}

/** A value's text for text-based transforms: an exact value (docs/values.md) by its digits or text. */
const textOf = (v: unknown): string => exactText(v) ?? String(v);

function toDate(v: unknown): Date | null {
  if (typeof v === 'number') return new Date(v);
  if (exactText(v) !== null) return toDate(exactText(v));
  if (typeof v === 'string' && v.trim() !== '') {
    const d = new Date(/^\d+$/.test(v.trim()) ? Number(v) : v);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  if (v instanceof Date) return v;
  return null;
}

/** Normalizes a phone number to E.164 (+<country><number>); rejects what cannot be a phone number. */
function formatPhone(v: string, cc: string): string {
  const trimmed = v.trim();
  const digits = trimmed.replace(/[^\d]/g, '');
  if (digits.length < 7 || digits.length > 15) throw new TransformError(`"${v}" is not a phone number (expected 7 to 15 digits)`);
  if (trimmed.startsWith('+')) return `+${digits}`;
  if (trimmed.startsWith('00')) return `+${digits.slice(2)}`;
  // A single leading 0 is a national trunk prefix, never part of the international number.
  if (/^0[1-9]/.test(digits)) return `+${cc}${digits.slice(1)}`;
  if (digits.length <= 10) return `+${cc}${digits}`;
  return `+${digits}`;
}

export function applyTransform(value: unknown, t: Transform): unknown {
  switch (t.type) {
    case 'trim':
      return typeof value === 'string' ? value.trim() : value;
    case 'lowercase':
      return typeof value === 'string' ? value.toLowerCase() : value;
    case 'uppercase':
      return typeof value === 'string' ? value.toUpperCase() : value;
    case 'phone':
      return value === null || value === undefined || value === '' ? value : formatPhone(textOf(value), t.defaultCountryCode);
    case 'date': {
      if (value === null || value === undefined || value === '') return value;
      const d = toDate(value);
      if (!d) throw new TransformError(`"${textOf(value)}" is not a date`);
      if (t.format === 'epoch-ms') return d.getTime();
      return t.format === 'iso-date' ? d.toISOString().slice(0, 10) : d.toISOString();
    }
    case 'value-map': {
      const k = value === null || value === undefined ? 'null' : textOf(value);
      if (Object.prototype.hasOwnProperty.call(t.map, k)) return t.map[k];
      if (t.otherwise === 'null') return null;
      if (t.otherwise === 'reject') throw new TransformError(`value "${k}" is not in the value map (known: ${Object.keys(t.map).join(', ')}): add it to the map`);
      return value;
    }
    case 'default':
      return value === null || value === undefined || value === '' ? t.value : value;
  }
}

export function applyTransforms(value: unknown, ts: readonly Transform[]): unknown {
  let v = value;
  for (const t of ts) v = applyTransform(v, t);
  return v;
}
