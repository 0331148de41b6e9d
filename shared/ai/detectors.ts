/**
 * Checks for the formats of sensitive values, shared by the inspector's suggestions and the free-text
 * scanner. Each names the exact rule it applies (docs/ai-feeds.md lists them); none uses a network
 * or a locale: pure string work, so the renderer, the runtime and the bench run the same code.
 */

/** The Luhn (mod 10) check used by payment card numbers. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * A payment card number: 13–19 digits (spaces or dashes between groups allowed), a Luhn-valid check
 * digit and an issuer prefix in use (Visa 4; Mastercard 51–55, 2221–2720; Amex 34, 37; Discover 6011,
 * 644–649, 65; JCB 3528–3589; Diners 300–305, 36, 38; UnionPay 62). The prefix rule keeps ids that
 * happen to pass Luhn (one in ten random digit runs does) from counting as cards.
 */
export function isPaymentCard(text: string): boolean {
  const t = text.trim();
  if (!/^\d(?:[ -]?\d){12,18}$/.test(t)) return false;
  const digits = t.replace(/[ -]/g, '');
  if (!luhnValid(digits)) return false;
  const p2 = Number(digits.slice(0, 2));
  const p3 = Number(digits.slice(0, 3));
  const p4 = Number(digits.slice(0, 4));
  const n = digits.length;
  if (digits[0] === '4') return n === 13 || n === 16 || n === 19;
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n === 16;
  if (p2 === 34 || p2 === 37) return n === 15;
  if (p4 === 6011 || p2 === 65 || (p3 >= 644 && p3 <= 649)) return n >= 16 && n <= 19;
  if (p4 >= 3528 && p4 <= 3589) return n >= 16 && n <= 19;
  if ((p3 >= 300 && p3 <= 305) || p2 === 36 || p2 === 38) return n >= 14 && n <= 19;
  if (p2 === 62) return n >= 16 && n <= 19;
  return false;
}

/** IBAN lengths by country (ISO 13616 registry, the countries in SEPA and a few more). */
const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AT: 20, BE: 16, BG: 22, BH: 22, BR: 29, CH: 21, CY: 28, CZ: 24, DE: 22, DK: 18, EE: 20, ES: 24, FI: 18, FO: 18,
  FR: 27, GB: 22, GI: 23, GL: 18, GR: 27, HR: 21, HU: 28, IE: 22, IL: 23, IS: 26, IT: 27, LI: 21, LT: 20, LU: 20, LV: 21, MC: 27,
  MT: 31, NL: 18, NO: 15, PL: 28, PT: 25, QA: 29, RO: 24, SA: 24, SE: 24, SI: 19, SK: 24, SM: 27, TR: 26, UA: 29, VA: 22,
};

/** An IBAN: a known country's length and the ISO 7064 mod-97 check (remainder 1); spaces between groups allowed. */
export function isIban(text: string): boolean {
  const t = text.trim().replace(/ /g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(t)) return false;
  if (IBAN_LENGTHS[t.slice(0, 2)] !== t.length) return false;
  const moved = t.slice(4) + t.slice(0, 4);
  let rem = 0;
  for (const ch of moved) {
    const code = ch.charCodeAt(0);
    const part = code >= 65 ? String(code - 55) : ch;
    for (const digit of part) rem = (rem * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return rem === 1;
}

/** An email address: local part of letters, digits and .!#$%&'*+/=?^_`{|}~-, a domain with a dot and a 2+ letter top level. */
export const EMAIL_SOURCE = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,24}";
export function isEmail(text: string): boolean {
  return new RegExp(`^${EMAIL_SOURCE}$`).test(text.trim());
}

/**
 * A phone number: E.164 (`+` and 8–15 digits, no leading 0 after the `+`), spaces, dots, dashes and
 * parentheses allowed between digits; or a North American number written with its separators
 * (`(415) 555-0132`, `415-555-0132`, `415.555.0132`). Bare digit runs are not phones: they are ids.
 */
export function isPhone(text: string): boolean {
  const t = text.trim();
  if (/^\+[1-9](?:[ .()-]*\d){7,14}$/.test(t)) return true;
  return /^(?:\(\d{3}\) ?|\d{3}[-.])\d{3}[-.]\d{4}$/.test(t) && /^[\d(]/.test(t) && !/^[01]/.test(t.replace('(', ''));
}

/** A US Social Security number written `AAA-GG-SSSS`: area not 000, 666 or 9xx, group not 00, serial not 0000. */
export function isUsSsn(text: string): boolean {
  const m = /^(\d{3})-(\d{2})-(\d{4})$/.exec(text.trim());
  if (!m) return false;
  const [, area, group, serial] = m;
  return area !== '000' && area !== '666' && area![0] !== '9' && group !== '00' && serial !== '0000';
}

/**
 * A UK National Insurance number (`QQ123456C`, spaces allowed in pairs): first letter not D F I Q U V,
 * second not D F I O Q U V, the prefixes BG GB KN NK NT TN ZZ never issued, suffix A–D.
 */
export function isUkNino(text: string): boolean {
  const t = text.trim().replace(/ /g, '').toUpperCase();
  const m = /^([A-CEGHJ-PR-TW-Z])([A-CEGHJ-NPR-TW-Z])\d{6}[A-D]$/.exec(t);
  if (!m) return false;
  return !['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ'].includes(m[1]! + m[2]!);
}

/** A national id: a US SSN or a UK National Insurance number (the formats above). */
export function isNationalId(text: string): boolean {
  return isUsSsn(text) || isUkNino(text);
}

/**
 * A plausible date of birth: an ISO date (`1984-07-09`, or the date part of a timestamp) from 1900 up to
 * `today`. On its own any past date fits, so suggestions use it only with a name that says "birth".
 */
export function isDateOfBirth(text: string, today: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])/.exec(text.trim());
  if (!m) return false;
  const [, y, mo, d] = m;
  if (Number(y) < 1900 || Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > 31) return false;
  return `${y}-${mo}-${d}` <= today.slice(0, 10);
}
