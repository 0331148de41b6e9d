import { describe, expect, it } from 'vitest';
import { allowedValuesOf } from './allowed-values.js';

describe('allowedValuesOf', () => {
  it('reads IN lists from column and table CHECK constraints, quoted or not', () => {
    const sql = `CREATE TABLE customers (
      id INTEGER PRIMARY KEY,
      plan_code TEXT CHECK (plan_code IN ('basic', 'pro', 'enterprise')),
      "Status" TEXT,
      note TEXT CHECK (length(note) < 100),
      CONSTRAINT s CHECK ("Status" IN ('active','past_due', 'it''s over'))
    )`;
    const m = allowedValuesOf(sql);
    expect(m.get('plan_code')).toEqual(['basic', 'pro', 'enterprise']);
    expect(m.get('status')).toEqual(['active', 'past_due', "it's over"]);
    expect(m.has('note')).toBe(false);
  });

  it('finds nothing where there is no such rule', () => {
    expect(allowedValuesOf('CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER CHECK (n > 0))').size).toBe(0);
  });
});
