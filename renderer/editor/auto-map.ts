import type { FieldUniqueness } from '../../shared/flow/match-uniqueness.js';
import type { Direction, FieldMapping, FieldOwner } from '../../shared/flow/schema.js';

export interface DiscoveredField {
  name: string;
  type: string;
  nullable: boolean;
  primaryKey: boolean;
  /** What the system keeps unique about the field, where its connector can tell (the match-key warning). */
  unique?: FieldUniqueness;
}

/** Words that name the same thing in different systems; compared after normalising. */
const SYNONYMS: string[][] = [
  ['email', 'emailaddress', 'contactemail', 'mail'],
  ['firstname', 'givenname', 'forename'],
  ['lastname', 'familyname', 'surname'],
  ['phone', 'phonenumber', 'telephone', 'mobile'],
  ['plan', 'plancode', 'tier'],
  ['paymentstatus', 'status', 'billingstatus'],
  ['company', 'companyname', 'organization', 'organisation'],
];

/** Each system's own bookkeeping (row versions, its own timestamps): never copied to another system. */
export function isBookkeeping(name: string): boolean {
  return /^(created|updated|modified|deleted|inserted)_?(at|on|time|date)?$|^(version|row_?version|etag)$/i.test(name);
}

export function normalizeFieldName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

function canonical(name: string): string {
  const n = normalizeFieldName(name);
  return SYNONYMS.find((group) => group.includes(n))?.[0] ?? n;
}

/** Types that carry the same values; anything else (text, blob, unknown) is only matched with itself. */
function typeFamily(type: string): string {
  const t = type.toLowerCase();
  if (/int|real|float|double|numeric|decimal|number/.test(t)) return 'number';
  if (/bool/.test(t)) return 'boolean';
  if (/date|time/.test(t)) return 'time';
  if (/char|text|string|clob|uuid|email|json/.test(t) || t === '') return 'text';
  return t;
}

/** Whether values of these two types can travel between the fields; text accepts anything. */
export function typesCompatible(a: string, b: string): boolean {
  const fa = typeFamily(a);
  const fb = typeFamily(b);
  return fa === fb || fa === 'text' || fb === 'text';
}

/** The owner a new mapping gets: the side that sends, or side a on a two-way sync. */
export function defaultOwner(direction: Direction): FieldOwner {
  return direction === 'b-to-a' ? 'b' : 'a';
}

/**
 * Pairs fields of the two entities by name (exact first, then normalised and synonyms) where the
 * types are compatible. Primary keys are left out: each system keeps its own ids and the runtime
 * links records by the match key; bookkeeping timestamps stay each system's own. Fields already
 * mapped are kept as they are.
 */
export function autoMapFields(a: DiscoveredField[], b: DiscoveredField[], direction: Direction, existing: FieldMapping[] = []): FieldMapping[] {
  const out = [...existing];
  const usedA = new Set(existing.map((m) => m.a));
  const usedB = new Set(existing.map((m) => m.b));
  const candidatesB = b.filter((f) => !f.primaryKey && !isBookkeeping(f.name) && !usedB.has(f.name));
  const passes: ((x: DiscoveredField, y: DiscoveredField) => boolean)[] = [
    (x, y) => x.name === y.name,
    (x, y) => normalizeFieldName(x.name) === normalizeFieldName(y.name),
    (x, y) => canonical(x.name) === canonical(y.name),
  ];
  for (const same of passes) {
    for (const fa of a) {
      if (fa.primaryKey || isBookkeeping(fa.name) || usedA.has(fa.name)) continue;
      const fb = candidatesB.find((y) => !usedB.has(y.name) && same(fa, y) && typesCompatible(fa.type, y.type));
      if (!fb) continue;
      usedA.add(fa.name);
      usedB.add(fb.name);
      out.push({ a: fa.name, b: fb.name, owner: defaultOwner(direction), toB: [], toA: [], required: false });
    }
  }
  return out;
}

/** The best match-key pair among mapped fields: an email if there is one, else the first mapping. */
export function suggestMatchKey(fields: FieldMapping[]): { a: string; b: string } | null {
  const email = fields.find((f) => canonical(f.a) === 'email' || canonical(f.b) === 'email');
  const pick = email ?? fields[0];
  return pick ? { a: pick.a, b: pick.b } : null;
}
