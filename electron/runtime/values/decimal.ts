/** Exactness of decimal text against IEEE doubles, by comparing normalized digit strings. */

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** `{ sign, digits, exp }` with value = sign · 0.digits · 10^exp and no leading/trailing zeros in digits. */
function normalize(text: string): { neg: boolean; digits: string; exp: number } | null {
  const m = DECIMAL.exec(text);
  if (!m) return null;
  const int = m[2]!;
  const frac = m[3] ?? '';
  let digits = int + frac;
  let exp = int.length + Number(m[4] ?? 0);
  const lead = digits.length - digits.replace(/^0+/, '').length;
  digits = digits.slice(lead);
  exp -= lead;
  digits = digits.replace(/0+$/, '');
  if (digits === '') return { neg: m[1] === '-', digits: '', exp: 0 };
  return { neg: m[1] === '-', digits, exp };
}

/** True when `text` (a JSON/SQL decimal) equals the double Number(text) exactly, sign of zero included. */
export function isExactDouble(text: string): boolean {
  const n = Number(text);
  if (!Number.isFinite(n)) return false;
  // The common case, without normalizing: the text is the double's own shortest spelling.
  if (String(n) === text) return !Object.is(n, -0);
  const a = normalize(text);
  if (!a) return false;
  if (a.digits === '') return !a.neg; // -0 has no JSON/Number round trip that keeps its sign
  // A double's shortest round-trip text names the same number as text only if the number is that double.
  const b = normalize(String(n).replace('e+', 'e'));
  return b !== null && a.neg === b.neg && a.digits === b.digits && a.exp === b.exp;
}

/** True for the text of a whole number (any size). */
export function isIntegerText(text: string): boolean {
  const a = normalize(text.trim());
  return a !== null && (a.digits === '' || a.exp >= a.digits.length);
}

/** Same number, however spelled (`1.50` = `1.5` = `15e-1`); null when either is not a decimal. */
export function sameDecimal(x: string, y: string): boolean | null {
  const a = normalize(x.trim());
  const b = normalize(y.trim());
  if (!a || !b) return null;
  if (a.digits === '' && b.digits === '') return true;
  return a.neg === b.neg && a.digits === b.digits && a.exp === b.exp;
}

/** Plain digits of a whole number (`1e3` → `1000`), or null when it is not whole. */
export function integerDigits(text: string): string | null {
  const a = normalize(text.trim());
  if (!a) return null;
  if (a.digits === '') return '0';
  if (a.exp < a.digits.length) return null;
  return `${a.neg ? '-' : ''}${a.digits}${'0'.repeat(a.exp - a.digits.length)}`;
}
