import type { Direction, FieldOwner, Transform } from '../../shared/flow/schema.js';

export type TransformType = Transform['type'];

export const TRANSFORM_TYPES: { type: TransformType; label: string }[] = [
  { type: 'trim', label: 'Trim spaces' },
  { type: 'lowercase', label: 'Lowercase' },
  { type: 'uppercase', label: 'Uppercase' },
  { type: 'phone', label: 'Phone format' },
  { type: 'date', label: 'Date format' },
  { type: 'value-map', label: 'Value map' },
  { type: 'default', label: 'Default value' },
  { type: 'token', label: 'Mask: token (HMAC)' },
  { type: 'redact', label: 'Mask: redact' },
  { type: 'partial', label: 'Mask: keep last 4' },
  { type: 'generalize', label: 'Mask: generalize' },
  { type: 'scan', label: 'Mask: scan free text' },
];

/** A new transform of this type with parameters a newcomer can start from. */
export function newTransform(type: TransformType): Transform {
  switch (type) {
    case 'phone':
      return { type, defaultCountryCode: '1' };
    case 'date':
      return { type, format: 'iso-date' };
    case 'value-map':
      return { type, map: {}, otherwise: 'keep' };
    case 'default':
      return { type, value: '' };
    case 'token':
      // The key lives in the secret provider chain under this name; "k1" until it is rotated.
      return { type, keyRef: 'ai-feed/token-key', keyId: 'k1', normalize: 'lowercase-trim' };
    case 'partial':
      return { type, keepLast: 4 };
    case 'generalize':
      return { type, to: 'month', bucketSize: 10 };
    case 'scan':
      return { type, action: 'mask', kinds: ['email', 'phone', 'payment-card', 'iban', 'national-id'] };
    default:
      return { type };
  }
}

export function transformSummary(t: Transform): string {
  switch (t.type) {
    case 'phone':
      return `phone (+${t.defaultCountryCode})`;
    case 'date':
      return `date (${t.format})`;
    case 'value-map':
      return `map ${Object.keys(t.map).length} value${Object.keys(t.map).length === 1 ? '' : 's'}`;
    case 'default':
      return `default “${String(t.value)}”`;
    case 'token':
      return `token (${t.keyId})`;
    case 'partial':
      return `keep last ${t.keepLast}`;
    case 'generalize':
      return t.to === 'bucket' ? `bucket of ${t.bucketSize}` : `to ${t.to}`;
    case 'scan':
      return `scan: ${t.action}`;
    default:
      return t.type;
  }
}

/** "Gold=gold-plan" per line ↔ a value map; a line without "=" is reported, not dropped. */
export function parseValueMap(text: string): { ok: true; map: Record<string, string> } | { ok: false; message: string } {
  const map: Record<string, string> = {};
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (!line) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return { ok: false, message: `line ${i + 1}: write each mapping as from=to, e.g. Gold=gold` };
    map[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return { ok: true, map };
}

export function formatValueMap(map: Record<string, unknown>): string {
  return Object.entries(map)
    .map(([k, v]) => `${k}=${v === null ? '' : String(v)}`)
    .join('\n');
}

/** The owners a field may have on a sync running this way (a one-way sync's target cannot own a field). */
export function allowedOwners(direction: Direction): FieldOwner[] {
  if (direction === 'a-to-b') return ['a'];
  if (direction === 'b-to-a') return ['b'];
  return ['a', 'b', 'shared'];
}

/** One click on the owner: the next allowed owner. */
export function nextOwner(current: FieldOwner, direction: Direction): FieldOwner {
  const allowed = allowedOwners(direction);
  const i = allowed.indexOf(current);
  return allowed[(i + 1) % allowed.length]!;
}

/** Owners that the new direction no longer allows become the sending side's. */
export function ownersForDirection<T extends { owner: FieldOwner }>(fields: T[], direction: Direction): T[] {
  const allowed = allowedOwners(direction);
  return fields.map((f) => (allowed.includes(f.owner) ? f : { ...f, owner: allowed[0]! }));
}
