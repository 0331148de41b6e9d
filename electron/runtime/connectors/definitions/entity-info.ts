import type { EntityInfo } from '../types.js';
import { entityKeyField, type EntitySpec } from './format.js';

export function entityInfo(e: EntitySpec): EntityInfo {
  const key = entityKeyField(e);
  const fields = e.fields.map((f) => ({
    name: f.name,
    type: f.type,
    ...(f.nativeType ? { nativeType: f.nativeType } : {}),
    nullable: f.nullable,
    primaryKey: f.name === key,
  }));
  if (!fields.some((f) => f.name === key)) fields.unshift({ name: key, type: 'string', nullable: false, primaryKey: true });
  return { name: e.name, ...(e.label ? { label: e.label } : {}), keyField: key, fields };
}

export function normalizeValue(v: unknown, normalize: 'exact' | 'lowercase-trim'): string {
  const s = v === null || v === undefined ? '' : String(v);
  return normalize === 'lowercase-trim' ? s.trim().toLowerCase() : s;
}

export function matchesNormalized(actual: unknown, wanted: unknown, normalize: 'exact' | 'lowercase-trim'): boolean {
  if (actual === undefined || actual === null) return false;
  return normalizeValue(actual, normalize) === normalizeValue(wanted, normalize);
}
