import { formatValue } from '../dlq/format.js';

/** SQLite's form, `quote(v) (storage class)`: the value's text without SQL quoting. */
const SQLITE_FORM = /^('(?:[^']|'')*'|-?[\d.eE+-]+|X'[0-9A-F]*') \((integer|real|text|blob)\)$/s;

function storedText(stored: string): string {
  const m = SQLITE_FORM.exec(stored);
  if (!m) return stored;
  const q = m[1]!;
  if (q.startsWith("'")) return q.slice(1, -1).replace(/''/g, "'");
  if (q.startsWith("X'")) return `\\x${q.slice(2, -1).toLowerCase()}`;
  return q;
}

/**
 * The target's stored form of a value when it reads differently from the value sent (a numeric
 * rounded into a double, 1 written as "1.0", a time moved to another zone), else null: the preview
 * points out a conversion only where the user would see a different value.
 */
export function storedDifference(to: unknown, stored: string | undefined): string | null {
  if (stored === undefined) return null;
  if (stored === 'NULL') return to === null || to === undefined ? null : stored;
  const sent = to === null || to === undefined ? null : formatValue(to);
  return sent !== null && storedText(stored) === (typeof to === 'string' ? to : sent) ? null : stored;
}
