import type { Transform } from '../../../shared/flow/schema.js';
import { maskFindings, scanText, describeFindings } from '../../../shared/ai/scanner.js';
import { GeneralizeError, generalizeAddress, generalizeDate, generalizeNumber } from '../masking/generalize.js';
import { tokenFor } from '../masking/token.js';
import { exactText } from '../values/exact.js';

export class TransformError extends Error {}

/** The free-text scanner found a value a `scan` with `action: "block"` refuses: the record goes to the DLQ. */
export class ScanBlockedError extends TransformError {}

/** What masking transforms need from outside: token keys, by secret name, resolved at start. */
export interface TransformContext {
  tokenKeys?: ReadonlyMap<string, Uint8Array>;
}

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

const isEmpty = (v: unknown): boolean => v === null || v === undefined;

export function applyTransform(value: unknown, t: Transform, ctx: TransformContext = {}): unknown {
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
    // Masking (docs/ai-feeds.md). Each works on the value's exact text and says what it did; none
    // passes a value it cannot mask: it refuses the record instead.
    case 'redact':
      return null;
    case 'partial': {
      if (isEmpty(value)) return value;
      const chars = [...textOf(value)];
      const keep = Math.min(t.keepLast, Math.floor(chars.length / 2));
      // At most half is kept, so a short value is never shown whole.
      return '*'.repeat(chars.length - keep) + chars.slice(chars.length - keep).join('');
    }
    case 'token': {
      if (isEmpty(value)) return value;
      const key = ctx.tokenKeys?.get(t.keyRef);
      if (!key) throw new TransformError(`the token key "${t.keyRef}" is not loaded: set it with \`synccanvas secrets set ${t.keyRef}\` and restart the flow`);
      const text = textOf(value);
      return tokenFor(t.normalize === 'lowercase-trim' ? text.trim().toLowerCase() : text, key, t.keyId);
    }
    case 'generalize': {
      if (isEmpty(value) || value === '') return value;
      try {
        if (t.to === 'month' || t.to === 'year') return generalizeDate(value, t.to);
        if (t.to === 'bucket') return generalizeNumber(value, t.bucketSize);
        return generalizeAddress(value);
      } catch (e) {
        if (e instanceof GeneralizeError) throw new TransformError(`the value ${e.message}`);
        throw e;
      }
    }
    case 'scan': {
      if (isEmpty(value)) return value;
      const text = textOf(value);
      const findings = scanText(text, t.kinds);
      if (findings.length === 0) return value;
      if (t.action === 'block') throw new ScanBlockedError(`the scanner found ${describeFindings(findings)} in the text: the record is blocked (mask or remove them at the source, or set the scan to mask)`);
      return maskFindings(text, findings);
    }
  }
}

export function applyTransforms(value: unknown, ts: readonly Transform[], ctx: TransformContext = {}): unknown {
  let v = value;
  for (const t of ts) v = applyTransform(v, t, ctx);
  return v;
}
