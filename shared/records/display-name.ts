/**
 * A record as a person knows it: by a name, an email or a title from its own fields, not by the
 * raw key the DLQ stores ("contacts 2"). Null when the record has none of these.
 */
const NAME_PAIRS: [string, string][] = [
  ['first_name', 'last_name'],
  ['given_name', 'family_name'],
  ['firstname', 'lastname'],
  ['firstName', 'lastName'],
];
const SINGLE = ['name', 'full_name', 'fullname', 'display_name', 'company', 'company_name', 'title', 'subject'];

function text(v: unknown): string | null {
  if (typeof v === 'string' && v.trim() !== '') return v.trim();
  return null;
}

export function recordDisplayName(fields: Record<string, unknown> | null | undefined): string | null {
  if (!fields) return null;
  const lower = new Map(Object.entries(fields).map(([k, v]) => [k.toLowerCase(), v]));
  const get = (k: string) => text(fields[k] ?? lower.get(k.toLowerCase()));
  for (const [first, last] of NAME_PAIRS) {
    const full = [get(first), get(last)].filter(Boolean).join(' ');
    if (full) return full;
  }
  for (const k of SINGLE) {
    const v = get(k);
    if (v) return v;
  }
  const email = Object.keys(fields).find((k) => /e-?mail/i.test(k) && text(fields[k]));
  return email ? text(fields[email]) : null;
}

/** The source fields of a DLQ entry's captured event. */
export function eventFields(event: Record<string, unknown>): Record<string, unknown> {
  const f = (event as { fields?: unknown }).fields;
  return typeof f === 'object' && f !== null && !Array.isArray(f) ? (f as Record<string, unknown>) : {};
}
