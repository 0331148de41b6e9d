import { exactText } from '../values/exact.js';

/**
 * Generalizations: a value becomes a coarser one (docs/ai-feeds.md). They work on the value's exact
 * text (docs/values.md), so a BC date, a year past 9999 or a 30-digit number is generalized exactly,
 * never through a JS Date or a double; a value that is not of the expected kind is refused, not passed.
 */

export class GeneralizeError extends Error {}

const textOf = (v: unknown): string => exactText(v) ?? (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : JSON.stringify(v));

/** `2024-03-15`, `2024-03-15T10:00:00Z`, `0044-03-15 BC` → `2024-03`, `0044-03 BC`; `year` keeps the year only. */
export function generalizeDate(v: unknown, to: 'month' | 'year'): string {
  const text = textOf(v).trim();
  const m = /^(-?\d{4,})-(\d{2})-(\d{2})(?:[T ]\d[^ ]*)?( BC)?$/.exec(text);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) throw new GeneralizeError('is not an ISO date (YYYY-MM-DD), so it cannot be generalized to its ' + to);
  const bc = m[4] ?? '';
  return to === 'month' ? `${m[1]}-${m[2]}${bc}` : `${m[1]}${bc}`;
}

/** The bucket a number falls in, as `lower–upper` (inclusive), by its exact digits: 1234 in 100s → `1200–1299`. */
export function generalizeNumber(v: unknown, size: number): string {
  const text = textOf(v).trim();
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE][+-]?\d+)?$/.exec(text);
  if (!m || /[eE]/.test(text)) throw new GeneralizeError('is not a plain decimal number, so it cannot be put in a bucket');
  const neg = m[1] === '-';
  const whole = BigInt(m[2]!);
  const hasFraction = (m[3] ?? '').replace(/0+$/, '') !== '';
  const b = BigInt(size);
  // Floor, not truncation: -0.5 lies in the bucket below zero.
  let value = neg ? -whole : whole;
  if (neg && hasFraction) value -= 1n;
  let lower = (value / b) * b;
  if (value < 0n && value % b !== 0n) lower -= b;
  return `${lower}–${lower + b - 1n}`;
}

const CITY_KEYS = ['city', 'town', 'locality', 'municipality'];

/**
 * An address's city: the `city` (town, locality) of a JSON address, or of a written one
 * (`1 Main St, Springfield, IL 62704, USA` → `Springfield`): the last comma-separated part, after a
 * trailing country and postcode/state are dropped, that has no digits. An address where no such part
 * is left is refused: guessing would risk passing the street.
 */
export function generalizeAddress(v: unknown): string {
  const text = textOf(v).trim();
  if (text.startsWith('{')) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new GeneralizeError('is not a readable address');
    }
    if (doc && typeof doc === 'object') {
      for (const k of Object.keys(doc)) if (CITY_KEYS.includes(k.toLowerCase()) && typeof (doc as Record<string, unknown>)[k] === 'string') return (doc as Record<string, string>)[k]!;
    }
    throw new GeneralizeError('is an address document with no city, town or locality');
  }
  const parts = text.split(/\s*[,\n]\s*/).filter(Boolean);
  if (parts.length < 2) throw new GeneralizeError('is an address with no comma-separated city part');
  // Drop the street (the first part) and, from the end, a country name and postcode/state tokens.
  for (let i = parts.length - 1; i >= 1; i--) {
    const words = parts[i]!.split(/\s+/).filter((w) => !/\d/.test(w) && !/^[A-Z]{2,3}$/.test(w));
    const city = words.join(' ');
    const isCountry = i === parts.length - 1 && parts.length > 2 && words.length === parts[i]!.split(/\s+/).length && /^(usa|us|united states|uk|united kingdom|germany|deutschland|france|canada|netherlands|spain|italy|ireland|australia)$/i.test(city);
    if (city !== '' && !isCountry) return city;
  }
  throw new GeneralizeError('is an address whose city could not be found');
}
