import { isIntegerText } from '../../values/decimal.js';
import { isExactDecimal, showValue } from '../../values/exact.js';
import { entityKeyField, type EntitySpec, type FieldSpec } from './format.js';
import { getPath } from './json-path.js';
import { toEpochMs } from './record-time.js';

export type ExtractedRecord =
  | { ok: true; key: string; fields: Record<string, unknown>; version: number | null }
  | { ok: false; message: string };

/**
 * One API record → key, flat fields and version, checked against the entity's field schema.
 * The key (and any declared field missing under fieldsPath, e.g. HubSpot's top-level `updatedAt`)
 * is read from the top of the record.
 */
export function extractRecord(entity: EntitySpec, raw: unknown, opts: { keyOnly?: boolean } = {}): ExtractedRecord {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, message: `a ${entity.name} record must be a JSON object` };
  }
  const top = raw as Record<string, unknown>;
  const nested = entity.fieldsPath ? getPath(top, entity.fieldsPath) : top;
  if (nested === null || typeof nested !== 'object' || Array.isArray(nested)) {
    return { ok: false, message: `a ${entity.name} record must have an object at "${entity.fieldsPath}"` };
  }
  const fields: Record<string, unknown> = entity.fieldsPath ? { ...(nested as Record<string, unknown>) } : { ...top };
  if (entity.fieldsPath) {
    for (const f of entity.fields) if (!(f.name in fields) && f.name in top) fields[f.name] = top[f.name];
  }
  const parts = Array.isArray(entity.primaryKey) ? entity.primaryKey : [entity.primaryKey];
  const keyParts: string[] = [];
  for (const p of parts) {
    const v = fields[p] ?? top[p];
    // A number a double cannot hold arrives as its digits ({ $dec }), and the key is those digits.
    if (isExactDecimal(v)) {
      keyParts.push(v.$dec);
      continue;
    }
    if (v === undefined || v === null || v === '' || typeof v === 'object') {
      return { ok: false, message: `the ${entity.name} record has no usable "${p}" (its key); send it as a string or number` };
    }
    // A whole number past 2^53 that reached us as a double may already be rounded: never key on it.
    if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)) {
      return { ok: false, message: `the ${entity.name} record's "${p}" (its key) is ${String(v)}, beyond what a double holds exactly: send it as a string` };
    }
    keyParts.push(String(v));
  }
  const key = keyParts.join(':');
  fields[entityKeyField(entity)] = Array.isArray(entity.primaryKey) ? key : fields[entity.primaryKey] ?? top[entity.primaryKey];
  const problems: string[] = [];
  // A delete carries the key and whatever else the source sends; its other fields are not checked.
  if (!opts.keyOnly) for (const f of entity.fields) {
    const problem = checkField(f, fields[f.name]);
    if (problem) problems.push(problem);
  }
  if (problems.length > 0) return { ok: false, message: `the ${entity.name} record ${key} is invalid: ${problems.join('; ')}` };
  let version: number | null = null;
  if (entity.cursorField) {
    const v = fields[entity.cursorField];
    version = toEpochMs(v, entity.cursorFormat);
    if (v !== undefined && v !== null && version === null) {
      // The value is not quoted: this message reaches the process log (a poll's notice), which holds no field values.
      return { ok: false, message: `the ${entity.name} record ${key} has a "${entity.cursorField}" that is not a time (a ${Array.isArray(v) ? 'list' : typeof v} it cannot read as one)` };
    }
  }
  return { ok: true, key, fields, version };
}

function checkField(f: FieldSpec, v: unknown): string | null {
  if (v === undefined) return f.required ? `"${f.name}" is required` : null;
  if (v === null) return f.nullable && !f.required ? null : `"${f.name}" must not be null`;
  const ok = (() => {
    switch (f.type) {
      case 'string':
        return typeof v === 'string';
      case 'integer':
        return (typeof v === 'number' && Number.isInteger(v)) || (isExactDecimal(v) && isIntegerText(v.$dec));
      case 'number':
        return (typeof v === 'number' && Number.isFinite(v)) || isExactDecimal(v);
      case 'boolean':
        return typeof v === 'boolean';
      case 'datetime':
        return toEpochMs(v) !== null;
      case 'date':
        return typeof v === 'string' && !Number.isNaN(Date.parse(v));
      case 'array':
        return Array.isArray(v);
      default:
        return true;
    }
  })();
  return ok ? null : `"${f.name}" must be ${f.type === 'integer' ? 'an integer' : `a ${f.type}`}, got ${showValue(v)}`;
}
