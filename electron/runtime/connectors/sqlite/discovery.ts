import path from 'node:path';
import { allowedValuesOf, createSqlOf } from './allowed-values.js';
import type { EntityInfo, FieldType } from '../types.js';
import { SqliteSetupError } from './config.js';
import type { Db } from './database.js';
import { keyColumnOf, listUserTables, readTableSchema, type ColumnSchema } from './table-schema.js';

/** Maps a declared column type to a FieldType, following SQLite's affinity rules plus common type names. */
export function fieldTypeOf(declaredType: string): FieldType {
  const t = declaredType.toUpperCase();
  if (t === '') return 'unknown';
  if (t.includes('BOOL')) return 'boolean';
  if (t.includes('INT')) return 'integer';
  if (t.includes('DATETIME') || t.includes('TIMESTAMP')) return 'datetime';
  if (t.includes('DATE')) return 'date';
  if (t.includes('JSON')) return 'json';
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT') || t.includes('UUID')) return 'string';
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB') || t.includes('NUM') || t.includes('DEC')) return 'number';
  return 'unknown';
}

function fieldOf(c: ColumnSchema, isKey: boolean) {
  return {
    name: c.name,
    type: fieldTypeOf(c.declaredType),
    nativeType: c.declaredType || '(no type)',
    nullable: !isKey && !c.notNull,
    primaryKey: c.pkIndex > 0,
  };
}

/**
 * Tables that can be synced (a single-column primary key), limited to `allowed` when set.
 * Tables without one are left out here; testConnection names them and says how to fix them.
 */
export function discoverEntities(db: Db, file: string, allowed: string[] | undefined): EntityInfo[] {
  const all = listUserTables(db);
  if (allowed) {
    const missing = allowed.filter((t) => !all.includes(t));
    if (missing.length) {
      throw new SqliteSetupError(
        `${missing.map((t) => `table "${t}"`).join(', ')} from the "tables" setting ${missing.length === 1 ? 'does' : 'do'} not exist in ${path.basename(file)}: fix the name (tables here: ${all.join(', ') || 'none'})`,
      );
    }
  }
  const out: EntityInfo[] = [];
  for (const name of allowed ?? all) {
    const table = readTableSchema(db, name);
    if (!table) continue;
    const key = keyColumnOf(table);
    if (!key.ok) continue;
    const rules = allowedValuesOf(createSqlOf(db, name));
    out.push({
      name,
      label: name,
      keyField: key.column.name,
      fields: table.columns.map((c) => {
        const allowed = rules.get(c.name.toLowerCase());
        return { ...fieldOf(c, c.name === key.column.name), ...(allowed ? { allowedValues: allowed } : {}) };
      }),
    });
  }
  return out;
}
