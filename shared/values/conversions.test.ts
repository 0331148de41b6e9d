import { describe, expect, it } from 'vitest';
import type { FieldInfo, FieldType } from '../../electron/runtime/connectors/types.js';
import { conversionOf } from './conversions.js';

const f = (kind: string, type: FieldType, nativeType: string) => ({ kind, field: { name: 'x', type, nativeType, nullable: true, primaryKey: false } satisfies FieldInfo });

describe('conversionOf', () => {
  it('calls a same-type move exact and names the conversions Postgres would round silently', () => {
    expect(conversionOf(f('postgres', 'number', 'numeric'), f('postgres', 'number', 'numeric')).exactness).toBe('exact');
    expect(conversionOf(f('sqlite', 'integer', 'INTEGER'), f('sqlite', 'integer', 'INTEGER')).exactness).toBe('exact');
    expect(conversionOf(f('postgres', 'number', 'numeric'), f('postgres', 'number', 'double precision'))).toMatchObject({ exactness: 'lossy', why: expect.stringMatching(/rounds/) });
    expect(conversionOf(f('postgres', 'number', 'numeric'), f('postgres', 'number', 'numeric(10,2)')).exactness).toBe('lossy');
    expect(conversionOf(f('postgres', 'datetime', 'timestamp with time zone'), f('postgres', 'datetime', 'timestamp without time zone')).exactness).toBe('lossy');
  });

  it('marks conversions that refuse some values instead of changing them', () => {
    expect(conversionOf(f('postgres', 'number', 'numeric'), f('sqlite', 'number', 'REAL')).exactness).toBe('refuses');
    expect(conversionOf(f('postgres', 'integer', 'integer'), f('postgres', 'integer', 'bigint')).exactness).toBe('exact');
    expect(conversionOf(f('postgres', 'integer', 'bigint'), f('postgres', 'integer', 'integer')).exactness).toBe('refuses');
    expect(conversionOf(f('postgres', 'integer', 'int8'), f('postgres', 'integer', 'int4')).exactness).toBe('refuses');
    expect(conversionOf(f('webhook', 'integer', 'integer'), f('postgres', 'integer', 'int8')).exactness).toBe('refuses');
    expect(conversionOf(f('postgres', 'number', 'numeric'), f('stripe', 'number', 'number')).exactness).toBe('refuses');
    expect(conversionOf(f('postgres', 'integer', 'int8'), f('sqlite', 'string', 'TEXT')).exactness).toBe('exact');
  });
});
