import { describe, expect, it } from 'vitest';
import { fieldTypeOf } from './discovery.js';

describe('fieldTypeOf', () => {
  it('follows SQLite affinity and common type names', () => {
    const cases: Array<[string, string]> = [
      ['INTEGER', 'integer'],
      ['bigint', 'integer'],
      ['TINYINT(1)', 'integer'],
      ['BOOLEAN', 'boolean'],
      ['VARCHAR(20)', 'string'],
      ['TEXT', 'string'],
      ['NUMERIC(10,2)', 'number'],
      ['DOUBLE PRECISION', 'number'],
      ['DATE', 'date'],
      ['DATETIME', 'datetime'],
      ['TIMESTAMP', 'datetime'],
      ['JSON', 'json'],
      ['BLOB', 'unknown'],
      ['', 'unknown'],
    ];
    for (const [declared, type] of cases) expect([declared, fieldTypeOf(declared)]).toEqual([declared, type]);
  });
});
