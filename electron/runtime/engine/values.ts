import { isExactDouble } from '../values/decimal.js';
import { exactText, isExactDecimal, isJsonText, isPgText } from '../values/exact.js';

/**
 * Value comparison across systems. Systems spell the same value differently (SQLite stores true as 1,
 * Postgres sends bigint as a string), so "did this field change?" compares canonical forms; a
 * false "changed" would be an echo write, a false "same" a lost update.
 */
export function canonical(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') {
    const t = v.trim();
    // Only a spelling of a number a double holds exactly compares as that number: a long decimal or
    // a big integer compared as a double would equal its neighbours and hide a change.
    if (t !== '' && /^-?\d+(\.\d+)?$/.test(t) && isExactDouble(t)) return Number(t);
    return v;
  }
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') {
    // Kept text compares as text: exact, and the same spelling a string of it would have.
    if (isExactDecimal(v)) return canonical(v.$dec);
    if (isPgText(v)) return `${v.text}\u0000${v.$pg}`;
    if (isJsonText(v)) return `${v.$json}\u0000json`;
  }
  return v;
}

export function sameValue(a: unknown, b: unknown): boolean {
  const ca = canonical(a);
  const cb = canonical(b);
  if (ca === cb) return true;
  if (typeof ca === 'object' && typeof cb === 'object' && ca !== null && cb !== null) return stableJson(ca) === stableJson(cb);
  return false;
}

export function stableJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  const keys = Object.keys(v as Record<string, unknown>).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
}

export function normalizeMatch(v: unknown, mode: 'exact' | 'lowercase-trim'): string | null {
  if (v === undefined || v === null) return null;
  const s = typeof v === 'string' ? v : (exactText(v) ?? (typeof v === 'object' ? stableJson(v) : String(v)));
  const out = mode === 'lowercase-trim' ? s.trim().toLowerCase() : s;
  return out === '' ? null : out;
}
