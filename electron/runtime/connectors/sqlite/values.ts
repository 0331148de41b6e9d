/** Conversions between JS values (ChangeEvent fields) and what SQLite stores. */

export type SqliteValue = string | number | bigint | Buffer | null;

export class UnstorableValueError extends Error {
  override name = 'UnstorableValueError';
}

export function toSqliteValue(value: unknown, column: string): SqliteValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'bigint':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new UnstorableValueError(`column "${column}" cannot store ${value}: send a finite number or null`);
      return value;
    case 'boolean':
      return value ? 1 : 0;
    case 'object':
      if (value instanceof Date) return value.toISOString();
      if (Buffer.isBuffer(value)) return value;
      if (value instanceof Uint8Array) return Buffer.from(value);
      return JSON.stringify(value);
    default:
      throw new UnstorableValueError(`column "${column}" cannot store a ${typeof value}`);
  }
}

/** Record values as the change log shows them (BLOBs as hex), so reads and captured changes agree. */
export function fromSqliteRow(row: Record<string, unknown>): Record<string, unknown> {
  for (const k in row) {
    const v = row[k];
    if (Buffer.isBuffer(v)) row[k] = v.toString('hex').toUpperCase();
  }
  return row;
}
