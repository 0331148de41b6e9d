import type { FieldClass } from '../flow/schema.js';
import { isDateOfBirth, isEmail, isIban, isNationalId, isPaymentCard, isPhone } from './detectors.js';
import { scanText } from './scanner.js';

/**
 * Suggests a field's class from its name and from sample values, for the inspector to offer and the
 * user to confirm or change. Values are stronger evidence than names: a column named "phone" that
 * holds emails is suggested as email.
 */

export interface ClassSuggestion {
  class: FieldClass;
  /** Why, in plain words: "4 of 5 samples pass the IBAN mod-97 check". */
  reason: string;
}

/** Words of a field name: `billingEmail`, `billing_email`, `Billing-Email` → billing, email. */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

const NAME_RULES: Array<{ class: FieldClass; test: (w: string[], joined: string) => boolean }> = [
  { class: 'date-of-birth', test: (w, j) => w.includes('dob') || /birth/.test(j) },
  { class: 'email', test: (w, j) => w.some((x) => /^e?mail(address)?$/.test(x)) || /\be mail\b/.test(j) },
  { class: 'iban', test: (w, j) => w.includes('iban') || /bank ?account|account ?number/.test(j) },
  { class: 'payment-card', test: (w, j) => w.includes('pan') || /card ?(number|no|num)|credit ?card|\bcc ?(number|num)/.test(j) },
  { class: 'national-id', test: (w, j) => ['ssn', 'nino', 'tin', 'passport'].some((x) => w.includes(x)) || /social ?security|national ?(id|insurance)|tax ?id/.test(j) },
  { class: 'phone', test: (w) => ['phone', 'mobile', 'tel', 'telephone', 'cell', 'fax', 'msisdn'].some((x) => w.includes(x)) },
  { class: 'postal-address', test: (w, j) => ['address', 'addr', 'street', 'zip', 'postcode', 'postal'].some((x) => w.includes(x)) || /address/.test(j) },
  {
    class: 'person-name',
    test: (w, j) => /(first|last|full|given|family|middle|contact|customer|display|user) ?name|surname|forename/.test(j) || (w.length === 1 && w[0] === 'name'),
  },
  { class: 'free-text', test: (w) => ['note', 'notes', 'comment', 'comments', 'description', 'body', 'message', 'text', 'summary', 'details', 'remarks', 'bio'].some((x) => w.includes(x)) },
];

const VALUE_RULES: Array<{ class: FieldClass; test: (s: string) => boolean; what: string }> = [
  { class: 'payment-card', test: isPaymentCard, what: 'pass the card checks (Luhn, issuer prefix)' },
  { class: 'iban', test: isIban, what: 'pass the IBAN mod-97 check' },
  { class: 'email', test: isEmail, what: 'are email addresses' },
  { class: 'national-id', test: isNationalId, what: 'are national ids (US SSN, UK NINO)' },
  { class: 'phone', test: isPhone, what: 'are phone numbers (E.164 or North American)' },
];

function textOf(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    if (typeof o.$dec === 'string') return o.$dec;
    if (typeof o.$json === 'string') return o.$json;
    if (typeof o.text === 'string') return o.text;
  }
  return null;
}

/** A suggestion for one field, or null when neither its name nor its samples say anything. */
export function suggestClass(name: string, samples: readonly unknown[], today: string = new Date().toISOString()): ClassSuggestion | null {
  const w = words(name);
  const joined = w.join(' ');
  const byName = NAME_RULES.find((r) => r.test(w, joined));
  const texts = samples.map(textOf).filter((t): t is string => t !== null && t.trim() !== '');
  if (texts.length > 0) {
    for (const r of VALUE_RULES) {
      const hits = texts.filter(r.test).length;
      // Most, not all: a column of emails has a typo or two; a column of ids has the odd Luhn-valid one.
      if (hits / texts.length >= 0.8) return { class: r.class, reason: `${hits} of ${texts.length} samples ${r.what}` };
    }
    if (byName?.class === 'date-of-birth' && texts.every((t) => isDateOfBirth(t, today))) {
      return { class: 'date-of-birth', reason: `the name "${name}" says birth and ${texts.length} samples are past dates` };
    }
    const withFindings = texts.filter((t) => scanText(t).length > 0).length;
    const prose = texts.filter((t) => t.length > 40 && /\s/.test(t)).length;
    if (!byName && (prose > 0 || withFindings > 0) && texts.some((t) => /\s/.test(t))) {
      return { class: 'free-text', reason: withFindings > 0 ? `${withFindings} of ${texts.length} samples contain sensitive values inside text` : `${prose} of ${texts.length} samples are prose` };
    }
  }
  if (byName) return { class: byName.class, reason: `the name "${name}" suggests ${byName.class}` };
  if (/^(id|uuid|key|created|updated|modified|status|state|type|kind|count|amount|total|price|currency|version|deleted|active|enabled)$/.test(w[w.length - 1] ?? '') || /(_at|_id|At|Id)$/.test(name)) {
    return { class: 'not-sensitive', reason: `the name "${name}" is an id, time, status or amount` };
  }
  return null;
}
