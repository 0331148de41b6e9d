import type { ScanFindingKind } from '../flow/schema.js';
import { EMAIL_SOURCE, isIban, isPaymentCard, isPhone, isUkNino, isUsSsn } from './detectors.js';

/**
 * The free-text scanner: finds sensitive values inside text (notes, ticket bodies) with the same
 * rules as the field checks (detectors.ts), so a card number is a card only when its Luhn digit and
 * issuer prefix fit. Findings never carry the value itself, only where it is, so they can be shown and
 * stored (DLQ reasons, previews) without leaking it.
 */

export interface ScanFinding {
  kind: ScanFindingKind;
  /** UTF-16 offsets into the scanned text, end exclusive. */
  start: number;
  end: number;
}

export const ALL_SCAN_KINDS: readonly ScanFindingKind[] = ['email', 'phone', 'payment-card', 'iban', 'national-id'];

const MASK_LABEL: Record<ScanFindingKind, string> = { email: '[email]', phone: '[phone]', 'payment-card': '[card]', iban: '[iban]', 'national-id': '[national-id]' };

interface Candidate {
  kind: ScanFindingKind;
  re: RegExp;
  check: (s: string) => boolean;
}

// Ordered: a longer, stricter format claims its characters first (an IBAN's digits are not a phone).
const CANDIDATES: Candidate[] = [
  { kind: 'payment-card', re: /(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])/g, check: isPaymentCard },
  { kind: 'email', re: new RegExp(`(?<![\\w.+-])${EMAIL_SOURCE}`, 'g'), check: () => true },
  { kind: 'national-id', re: /(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w-])/g, check: isUsSsn },
  { kind: 'national-id', re: /(?<!\w)[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D](?!\w)/g, check: isUkNino },
  { kind: 'phone', re: /(?<![\w+])\+[1-9](?:[ .()-]{0,2}\d){7,14}(?!\d)/g, check: isPhone },
  { kind: 'phone', re: /(?<![\w(])(?:\(\d{3}\) ?|\d{3}[-.])\d{3}[-.]\d{4}(?![\w-])/g, check: isPhone },
];

/** IBANs: the country's length decides where one ends, since groups of four run into the next word. */
function findIbans(text: string, out: ScanFinding[]): void {
  const start = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}/g;
  for (let m = start.exec(text); m; m = start.exec(text)) {
    let chars = '';
    let i = m.index;
    let end = i;
    while (i < text.length && chars.length < 34) {
      const c = text[i]!;
      if (/[A-Z0-9]/.test(c)) {
        chars += c;
        end = i + 1;
      } else if (c === ' ' && /[A-Z0-9]/.test(text[i + 1] ?? '')) {
        /* a group separator */
      } else break;
      i++;
      if (chars.length >= 15 && isIban(chars) && !/[A-Za-z0-9]/.test(text[end] ?? '')) {
        out.push({ kind: 'iban', start: m.index, end });
        start.lastIndex = end;
        break;
      }
    }
  }
}

/** Every sensitive value in `text` of the given kinds, in text order, none overlapping. */
export function scanText(text: string, kinds: readonly ScanFindingKind[] = ALL_SCAN_KINDS): ScanFinding[] {
  const found: ScanFinding[] = [];
  if (kinds.includes('iban')) findIbans(text, found);
  const overlaps = (s: number, e: number) => found.some((f) => s < f.end && e > f.start);
  for (const c of CANDIDATES) {
    if (!kinds.includes(c.kind)) continue;
    const whole = new RegExp(`^(?:${c.re.source})$`);
    c.re.lastIndex = 0;
    for (let m = c.re.exec(text); m; m = c.re.exec(text)) {
      const s = m.index;
      let e = s + m[0].length;
      if (overlaps(s, e)) {
        // A greedy match ran into a value found earlier ("+1 415 555 0132 078-05-1120"): what comes
        // before that value may still be one of these on its own, and must not be left unmasked.
        const next = found.filter((f) => f.start > s && f.start < e).reduce((a, f) => Math.min(a, f.start), Infinity);
        e = next === Infinity ? s : s + text.slice(s, next).replace(/[^\p{L}\p{N}]+$/u, '').length;
        if (e === s || overlaps(s, e) || !whole.test(text.slice(s, e))) {
          c.re.lastIndex = s + 1; // a shorter value may start inside this match
          continue;
        }
      }
      if (c.check(text.slice(s, e))) found.push({ kind: c.kind, start: s, end: e });
      else c.re.lastIndex = s + 1;
    }
  }
  return found.sort((x, y) => x.start - y.start);
}

/** The text with each finding replaced by its label (`[email]`, `[card]`, …). */
export function maskFindings(text: string, findings: readonly ScanFinding[]): string {
  let out = '';
  let at = 0;
  for (const f of findings) {
    out += text.slice(at, f.start) + MASK_LABEL[f.kind];
    at = f.end;
  }
  return out + text.slice(at);
}

/** "2 emails, 1 payment-card" — what a DLQ reason or a preview says, without the values. */
export function describeFindings(findings: readonly ScanFinding[]): string {
  const counts = new Map<string, number>();
  for (const f of findings) counts.set(f.kind, (counts.get(f.kind) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${k}${n === 1 ? '' : 's'} at ${findings.filter((f) => f.kind === k).map((f) => `${f.start}–${f.end}`).join(', ')}`).join('; ');
}
