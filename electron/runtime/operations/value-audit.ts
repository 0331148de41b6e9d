import type { Side, SyncEdge } from '../../../shared/flow/schema.js';
import type { SourceRecord } from '../connectors/types.js';

export interface BadValue {
  key: string;
  field: string;
  value: string;
}

// Deliberately loose: it flags what no mail server would accept, not every RFC corner.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/;

/** A field holds emails when its name says so on either side of the mapping. */
const isEmailField = (a: string, b: string) => /e-?mail/i.test(a) || /e-?mail/i.test(b);
const isPhoneField = (a: string, b: string, phoneTransform: boolean) => phoneTransform || /phone|mobile|tel(ephone)?$/i.test(a) || /phone|mobile|tel(ephone)?$/i.test(b);

/**
 * Sample values that look wrong for what their field holds: emails without a domain, phone numbers
 * with too few or too many digits (7 to 15, as E.164 allows). Empty values are the required-field
 * check's business, not this one's.
 */
export function auditContactValues(sync: SyncEdge, side: Side, samples: readonly SourceRecord[]): { invalidEmails: BadValue[]; invalidPhones: BadValue[] } {
  const invalidEmails: BadValue[] = [];
  const invalidPhones: BadValue[] = [];
  for (const f of sync.fields) {
    const field = f[side];
    const email = isEmailField(f.a, f.b);
    const phone = isPhoneField(f.a, f.b, [...f.toA, ...f.toB].some((t) => t.type === 'phone'));
    if (!email && !phone) continue;
    for (const r of samples) {
      const v = r.fields[field];
      if (v === null || v === undefined || v === '') continue;
      const s = String(v);
      if (email && !EMAIL.test(s.trim())) invalidEmails.push({ key: r.key, field, value: s });
      else if (phone && !email) {
        const digits = s.replace(/\D/g, '').length;
        if (digits < 7 || digits > 15 || /[a-z]/i.test(s.replace(/\s*(ext|x)\.?\s*\d+$/i, ''))) invalidPhones.push({ key: r.key, field, value: s });
      }
    }
  }
  return { invalidEmails, invalidPhones };
}
