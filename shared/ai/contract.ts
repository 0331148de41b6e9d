import type { FieldMapping, SyncEdge, Transform } from '../flow/schema.js';
import { feedSide, feedTransforms } from './feed-policy.js';

/**
 * The schema contract of an AI feed: a JSON Schema (draft 2020-12 keywords, the subset below) that
 * every record must meet before it reaches the sink. Generated from the mapping; the user may edit
 * it, and the edited one is stored in the flow (`aiFeed.contract`).
 *
 * Values are the lossless forms of docs/values.md: `{ $dec }` is a number (an integer when it has no
 * fraction), `{ $json }` a document of the type its text starts with, `{ $pg }` and `{ $blob }` strings.
 */

export type JsonSchema = Record<string, unknown>;

const SUPPORTED = new Set(['$schema', '$id', 'title', 'description', 'type', 'properties', 'required', 'additionalProperties', 'enum', 'const', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'x-synccanvas-class', 'x-synccanvas-masking']);
const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null', 'object', 'array']);

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** What a field looks like after its masking transform, as a JSON Schema. */
function fieldSchema(m: FieldMapping, ts: readonly Transform[]): JsonSchema {
  const s: JsonSchema = {};
  if (m.class) s['x-synccanvas-class'] = m.class;
  const maskT = [...ts].reverse().find((t) => ['redact', 'token', 'partial', 'generalize', 'scan'].includes(t.type));
  const after = maskT ? ts.slice(ts.indexOf(maskT) + 1) : [];
  // A later transform (a default, a value map) may change the masked shape: then only the type is known.
  const exact = after.length === 0;
  const nullable = (t: JsonSchema): JsonSchema => (m.required ? t : { ...t, type: [t.type as string, 'null'] });
  if (!maskT) return s;
  s['x-synccanvas-masking'] = maskT.type;
  switch (maskT.type) {
    case 'redact':
      return exact ? { ...s, type: 'null' } : s;
    case 'token':
      return exact ? { ...s, ...nullable({ type: 'string' }), pattern: `^tok_${escape(maskT.keyId)}_[A-Za-z0-9_-]{43}$` } : s;
    case 'partial':
      return exact ? { ...s, ...nullable({ type: 'string' }), pattern: `^\\**[^*]{0,${maskT.keepLast}}$` } : s;
    case 'generalize': {
      const pattern = { month: '^-?\\d{4,}-\\d{2}( BC)?$', year: '^-?\\d{4,}( BC)?$', bucket: '^-?\\d+–-?\\d+$', city: '^[^\\d]*$' }[maskT.to];
      return exact ? { ...s, ...nullable({ type: 'string' }), pattern } : s;
    }
    case 'scan':
      return exact ? { ...s, ...nullable({ type: 'string' }) } : s;
    default:
      return s;
  }
}

/** The contract generated from the mapping: the mapped target fields and nothing else. */
export function generateContract(sync: SyncEdge): JsonSchema {
  const { target } = feedSide(sync);
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const m of sync.fields) {
    properties[m[target]] = fieldSchema(m, feedTransforms(sync, m));
    if (m.required) required.push(m[target]);
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: `${sync.name ?? sync.id} (AI feed)`,
    type: 'object',
    properties,
    required,
    additionalProperties: false,
  };
}

/** The contract in force: the stored one, or the generated one. */
export const contractOf = (sync: SyncEdge): JsonSchema => sync.aiFeed?.contract ?? generateContract(sync);

/** Problems with a contract itself (unsupported keywords, bad patterns), as `path: what to fix`. */
export function contractProblems(schema: unknown, path = '#'): string[] {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return [`${path}: a schema must be a JSON object`];
  const out: string[] = [];
  const s = schema as JsonSchema;
  for (const k of Object.keys(s)) if (!SUPPORTED.has(k)) out.push(`${path}: "${k}" is not supported here (supported: ${[...SUPPORTED].filter((x) => !x.startsWith('x-') && !x.startsWith('$')).join(', ')})`);
  if (s.type !== undefined) {
    const ts = Array.isArray(s.type) ? s.type : [s.type];
    for (const t of ts) if (typeof t !== 'string' || !TYPES.has(t)) out.push(`${path}/type: ${JSON.stringify(t)} is not a JSON Schema type`);
  }
  if (s.pattern !== undefined) {
    try {
      new RegExp(String(s.pattern), 'u');
    } catch (e) {
      out.push(`${path}/pattern: not a valid regular expression (${(e as Error).message})`);
    }
  }
  if (s.properties !== undefined) {
    if (typeof s.properties !== 'object' || s.properties === null) out.push(`${path}/properties: must be an object`);
    else for (const [k, v] of Object.entries(s.properties)) out.push(...contractProblems(v, `${path}/properties/${k}`));
  }
  if (s.required !== undefined && (!Array.isArray(s.required) || s.required.some((r) => typeof r !== 'string'))) out.push(`${path}/required: must be a list of field names`);
  if (s.additionalProperties !== undefined && typeof s.additionalProperties !== 'boolean') out.push(`${path}/additionalProperties: only true or false is supported`);
  return out;
}

function typeOf(v: unknown): string[] {
  if (v === null || v === undefined) return ['null'];
  if (typeof v === 'boolean') return ['boolean'];
  if (typeof v === 'number') return Number.isInteger(v) ? ['integer', 'number'] : ['number'];
  if (typeof v === 'string') return ['string'];
  if (Array.isArray(v)) return ['array'];
  const o = v as Record<string, unknown>;
  if (typeof o.$dec === 'string') return /^-?\d+$/.test(o.$dec) ? ['integer', 'number'] : ['number'];
  if (typeof o.$json === 'string') {
    const c = o.$json.trimStart()[0];
    return c === '{' ? ['object'] : c === '[' ? ['array'] : c === '"' ? ['string'] : c === 'n' ? ['null'] : c === 't' || c === 'f' ? ['boolean'] : ['number'];
  }
  if (typeof o.$pg === 'string' || typeof o.$blob === 'string') return ['string'];
  return ['object'];
}

const textOf = (v: unknown): string | null => (typeof v === 'string' ? v : null);

// Patterns compiled once: a contract is checked on every record of a feed.
const patterns = new Map<string, RegExp>();
function patternOf(source: string): RegExp {
  let re = patterns.get(source);
  if (!re) {
    re = new RegExp(source, 'u');
    if (patterns.size > 1000) patterns.clear();
    patterns.set(source, re);
  }
  return re;
}

function numberOf(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'object' && v !== null && typeof (v as { $dec?: unknown }).$dec === 'string') return Number((v as { $dec: string }).$dec);
  return null;
}

/** Contract violations of one value, as `field: what is wrong` (never the value itself: it may be sensitive). */
function check(v: unknown, s: JsonSchema, path: string, out: string[]): void {
  if (s.type !== undefined) {
    const want = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    const have = typeOf(v);
    if (!want.some((t) => have.includes(t))) {
      out.push(`${path}: expected ${want.join(' or ')}, got ${have[0]}`);
      return;
    }
  }
  if (s.const !== undefined && JSON.stringify(s.const) !== JSON.stringify(v)) out.push(`${path}: must be ${JSON.stringify(s.const)}`);
  if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) out.push(`${path}: must be one of ${s.enum.map((e) => JSON.stringify(e)).join(', ')}`);
  const text = textOf(v);
  if (text !== null) {
    if (typeof s.pattern === 'string' && !patternOf(s.pattern).test(text)) out.push(`${path}: does not match the pattern ${s.pattern}`);
    if (typeof s.minLength === 'number' && [...text].length < s.minLength) out.push(`${path}: shorter than ${s.minLength} characters`);
    if (typeof s.maxLength === 'number' && [...text].length > s.maxLength) out.push(`${path}: longer than ${s.maxLength} characters`);
  }
  const n = numberOf(v);
  if (n !== null) {
    if (typeof s.minimum === 'number' && !(n >= s.minimum)) out.push(`${path}: below the minimum ${s.minimum}`);
    if (typeof s.maximum === 'number' && !(n <= s.maximum)) out.push(`${path}: above the maximum ${s.maximum}`);
  }
}

const checkedContracts = new WeakMap<JsonSchema, string[]>();

/** Every way `record` (a mapped target record) breaks `contract`; empty when it meets it. */
export function contractViolations(record: Record<string, unknown>, contract: JsonSchema): string[] {
  const out: string[] = [];
  let problems = checkedContracts.get(contract);
  if (!problems) checkedContracts.set(contract, (problems = contractProblems(contract)));
  if (problems.length > 0) return [`the contract itself is invalid — ${problems.join('; ')}`];
  const props = (contract.properties ?? {}) as Record<string, JsonSchema>;
  for (const r of (contract.required as string[] | undefined) ?? []) if (!(r in record) || record[r] === undefined) out.push(`${r}: required by the contract but missing`);
  for (const [k, v] of Object.entries(record)) {
    const s = props[k];
    if (!s) {
      if (contract.additionalProperties === false) out.push(`${k}: not in the contract (additionalProperties is false)`);
      continue;
    }
    check(v, s, k, out);
  }
  return out;
}
