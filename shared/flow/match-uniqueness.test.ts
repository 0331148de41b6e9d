import { describe, expect, it } from 'vitest';
import { matchUniquenessGaps, type FieldUniqueness } from './match-uniqueness.js';

const unique = (exact: boolean, caseInsensitive: boolean, table: string, col: string): FieldUniqueness => ({
  exact,
  caseInsensitive,
  fix: { exact: `CREATE UNIQUE INDEX CONCURRENTLY ON ${table} (${col});`, caseInsensitive: `CREATE UNIQUE INDEX CONCURRENTLY ON ${table} (lower(btrim(${col})));` },
});
const sync = (direction: 'a-to-b' | 'b-to-a' | 'both', normalize: 'exact' | 'lowercase-trim') => ({
  direction,
  matchKey: { a: 'email', b: 'contact_email', normalize },
  a: { system: 'crm', entity: 'contacts' },
  b: { system: 'billing', entity: 'customers' },
});
const names = { a: 'CRM', b: 'Billing' };
const fields = (a: FieldUniqueness | undefined, b: FieldUniqueness | undefined) => ({
  a: [{ name: 'email', ...(a ? { unique: a } : {}) }, { name: 'name' }],
  b: [{ name: 'contact_email', ...(b ? { unique: b } : {}) }],
});

describe('matchUniquenessGaps', () => {
  it('checks every side a two-way edge creates records on, by the edge\'s own comparison', () => {
    const r = matchUniquenessGaps(sync('both', 'lowercase-trim'), names, fields(unique(true, false, 'contacts', 'email'), unique(true, true, 'customers', 'contact_email')));
    expect(r.checked).toEqual(['b', 'a']);
    expect(r.gaps.map((g) => [g.side, g.sql])).toEqual([['a', 'CREATE UNIQUE INDEX CONCURRENTLY ON contacts (lower(btrim(email)));']]);
    expect(r.gaps[0]!.problem).toBe(
      'CRM does not keep contacts.email unique ignoring case, as this edge matches, so a record someone creates there while SyncCanvas creates one with the same email can exist twice. Add a unique index (it fails while duplicates exist: merge them first)',
    );
    expect(r.gaps[0]!.message).toBe(`${r.gaps[0]!.problem}: ${r.gaps[0]!.sql}`);
  });

  it('takes a case-insensitive index as exact uniqueness too, and skips sides it cannot tell or does not write', () => {
    expect(matchUniquenessGaps(sync('a-to-b', 'exact'), names, fields(undefined, unique(true, true, 'customers', 'contact_email')))).toEqual({ checked: ['b'], gaps: [] });
    expect(matchUniquenessGaps(sync('a-to-b', 'exact'), names, fields(unique(false, false, 'contacts', 'email'), undefined))).toEqual({ checked: [], gaps: [] });
    expect(matchUniquenessGaps(sync('b-to-a', 'exact'), names, { b: fields(undefined, undefined).b })).toEqual({ checked: [], gaps: [] });
    expect(matchUniquenessGaps(sync('b-to-a', 'exact'), names, fields(unique(false, false, 'contacts', 'email'), undefined)).gaps.map((g) => g.sql)).toEqual(['CREATE UNIQUE INDEX CONCURRENTLY ON contacts (email);']);
  });
});
