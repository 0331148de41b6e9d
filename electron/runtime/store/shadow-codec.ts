import type { FieldShadow, RecordShadow } from './shadows.js';

/**
 * The text a shadow is sealed as. Most fields of a shadow were last changed by the system itself at
 * the same time, so the plain JSON of one (`{"v":…,"t":1733550000000,"by":"self"}` per field) is
 * mostly repeated times and tags. The compact form writes such a field as `[v]` against one record
 * time `t`, a field of another time as `[v, t]`, and keeps the object form for anything else (our
 * writes, pending echoes, versions, values stored apart):
 *
 *     {"c":1,"f":{"email":["a@x"],"name":["Ann",1733550000123],"plan":{"v":"pro","t":5,"by":"sync"}},"t":1733550000000,"seen":…}
 *
 * About half the bytes of the plain form, so less to stringify, seal, write and commit per change.
 * The plain form (every shadow written before) is read as it is.
 */
export function encodeShadow(shadow: RecordShadow): string {
  // A record-level key the compact form uses itself: only the plain form says it exactly.
  if ('c' in shadow || 'f' in shadow || 't' in shadow) return JSON.stringify(shadow);
  let t: number | undefined;
  let out = '{"c":1,"f":{';
  let first = true;
  for (const name in shadow.fields) {
    const f = shadow.fields[name]!;
    if (t === undefined && Number.isFinite(f.t)) t = f.t;
    out += first ? `${JSON.stringify(name)}:` : `,${JSON.stringify(name)}:`;
    first = false;
    out += compactField(f, t) ?? JSON.stringify(f);
  }
  out += '}';
  if (t !== undefined) out += `,"t":${t}`;
  for (const key in shadow) {
    if (key === 'fields') continue;
    const v = (shadow as unknown as Record<string, unknown>)[key];
    if (v !== undefined) out += `,${JSON.stringify(key)}:${JSON.stringify(v)}`;
  }
  return `${out}}`;
}

/** The array form of a field changed by its own system, or null where only the object form is exact. */
function compactField(f: FieldShadow, t: number | undefined): string | null {
  if (f.by !== 'self' || f.v === undefined || f.p !== undefined || f.w !== undefined || !Number.isFinite(f.t)) return null;
  // Anything else on the field (a value stored apart is marked `x`) needs the object form.
  for (const k in f) if (k !== 'v' && k !== 't' && k !== 'by') return null;
  return f.t === t ? `[${JSON.stringify(f.v)}]` : `[${JSON.stringify(f.v)},${f.t}]`;
}

export function decodeShadow(text: string): RecordShadow {
  const raw = JSON.parse(text) as Record<string, unknown>;
  if (raw.c !== 1) return raw as unknown as RecordShadow;
  const t = raw.t as number;
  const stored = raw.f as Record<string, unknown>;
  const fields: Record<string, FieldShadow> = {};
  for (const name in stored) {
    const e = stored[name];
    const f = Array.isArray(e) ? { v: e[0], t: e.length > 1 ? (e[1] as number) : t, by: 'self' as const } : (e as FieldShadow);
    // Defined, not assigned: a field named __proto__ is a field like any other (as JSON.parse reads it).
    if (name === '__proto__') Object.defineProperty(fields, name, { value: f, enumerable: true, writable: true, configurable: true });
    else fields[name] = f;
  }
  const out: Record<string, unknown> = { fields };
  for (const key in raw) if (key !== 'c' && key !== 'f' && key !== 't') out[key] = raw[key];
  return out as unknown as RecordShadow;
}
