import type { DlqEntry } from '../../shared/api/contract.js';

export function formatTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A value as the user knows it: exact values (docs/values.md) by their text, so digits are never rounded on screen. */
export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return '∅';
  if (typeof v === 'string') return v === '' ? '""' : v;
  if (typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if (typeof o.$dec === 'string') return o.$dec;
    if (typeof o.$json === 'string') return o.$json; // JSON null shows as null; SQL NULL as ∅
    if (typeof o.$pg === 'string' && typeof o.text === 'string') return o.text;
    if (typeof o.$blob === 'string') return `\\x${o.$blob.toLowerCase()}`;
  }
  return JSON.stringify(v);
}

export function directionLabel(e: Pick<DlqEntry, 'sourceSystem' | 'targetSystem'>): string {
  return `${e.sourceSystem} → ${e.targetSystem}`;
}

/**
 * How many later changes of the entry's record are held behind it (per-record order), or null when
 * none are: the user should know that replaying or discarding this entry releases them.
 */
export function waitingText(e: Pick<DlqEntry, 'waitingBehind'>): string | null {
  const n = e.waitingBehind ?? 0;
  if (n <= 0) return null;
  return `${n} later change${n === 1 ? ' is' : 's are'} waiting behind this one`;
}

/** The conflict detail the runtime stores with a conflict entry, read defensively. */
export interface ConflictField {
  a: string;
  b: string;
  aValue: unknown;
  bValue: unknown;
}

export function conflictFields(e: DlqEntry): ConflictField[] {
  const list = (e.detail as { conflicts?: unknown } | null | undefined)?.conflicts;
  if (!Array.isArray(list)) return [];
  return list.filter((c): c is ConflictField => typeof c === 'object' && c !== null && typeof (c as ConflictField).a === 'string');
}

/** Parses the edit form's JSON; says what to fix when it is not an object. */
export function parseEditedFields(text: string): { ok: true; fields: Record<string, unknown> } | { ok: false; message: string } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { ok: false, message: `not valid JSON: ${(e as Error).message}` };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, message: 'give an object of field → value, e.g. {"last_name": "Smith"}' };
  // JSON.parse rounds a number a double cannot hold; never replay a rounded value (docs/values.md).
  const outsideStrings = text.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const long = /-?\d[\d.]*(?:[eE][+-]?\d+)?/g;
  for (const m of outsideStrings.matchAll(long)) {
    const digits = m[0].replace(/^-/, '').replace(/[eE].*$/, '').replace('.', '').replace(/^0+/, '');
    if (digits.length > 15 && String(Number(m[0])) !== m[0]) {
      return { ok: false, message: `${m[0]} has more digits than a JSON number keeps here: write it as {"$dec": "${m[0]}"}` };
    }
  }
  return { ok: true, fields: v as Record<string, unknown> };
}
