import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonical, normalizeMatch, sameValue, stableJson } from './values.js';

describe('canonical / sameValue', () => {
  it('treats the spellings systems use for one value as the same', () => {
    expect(sameValue(true, 1)).toBe(true);
    expect(sameValue(false, 0)).toBe(true);
    expect(sameValue(42, '42')).toBe(true);
    expect(sameValue(12n, '12')).toBe(true);
    expect(sameValue('3.50', 3.5)).toBe(true);
    expect(sameValue(null, undefined)).toBe(true);
    expect(sameValue(new Date('2026-01-01T00:00:00Z'), '2026-01-01T00:00:00.000Z')).toBe(true);
  });

  it('tells different values apart', () => {
    expect(sameValue('a', 'A')).toBe(false);
    expect(sameValue('', null)).toBe(false);
    expect(sameValue(0, null)).toBe(false);
    expect(sameValue('42a', 42)).toBe(false);
    expect(sameValue(1, 2)).toBe(false);
    expect(sameValue({ a: 1 }, { a: 2 })).toBe(false);
    expect(sameValue([1, 2], [2, 1])).toBe(false);
  });

  it('keeps integers beyond the safe range as text so they are not rounded together', () => {
    expect(canonical('9007199254740993')).toBe('9007199254740993');
    expect(sameValue('9007199254740993', '9007199254740992')).toBe(false);
  });

  it('compares objects regardless of key order', () => {
    expect(sameValue({ a: 1, b: { c: [1, 2], d: null } }, { b: { d: null, c: [1, 2] }, a: 1 })).toBe(true);
    expect(stableJson({ b: 1, a: [true, 'x'] })).toBe('{"a":[true,"x"],"b":1}');
  });

  it('is reflexive and symmetric on any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        expect(sameValue(a, structuredClone(a))).toBe(true);
        expect(sameValue(a, b)).toBe(sameValue(b, a));
      }),
      { numRuns: 200 },
    );
  });
});

describe('normalizeMatch', () => {
  it('lowercases and trims in lowercase-trim mode', () => {
    expect(normalizeMatch('  Ann@Example.COM ', 'lowercase-trim')).toBe('ann@example.com');
  });

  it('keeps the value as is in exact mode', () => {
    expect(normalizeMatch(' Ann ', 'exact')).toBe(' Ann ');
  });

  it('turns numbers into their text', () => {
    expect(normalizeMatch(42, 'exact')).toBe('42');
  });

  it('gives null for no value, so an empty key never matches anything', () => {
    expect(normalizeMatch(null, 'exact')).toBeNull();
    expect(normalizeMatch(undefined, 'lowercase-trim')).toBeNull();
    expect(normalizeMatch('', 'exact')).toBeNull();
    expect(normalizeMatch('   ', 'lowercase-trim')).toBeNull();
  });
});

describe('sameValue on exact values', () => {
  it('never equates a long decimal or big integer with its rounded neighbour', () => {
    expect(sameValue('12345678901234567890.123456789', 12345678901234567000)).toBe(false);
    expect(sameValue({ $dec: '12345678901234567890.123456789' }, '12345678901234567890.123456789')).toBe(true);
    expect(sameValue({ $dec: '123456789012345678901234567890' }, { $dec: '123456789012345678901234567891' })).toBe(false);
    expect(sameValue('0.30000000000000004', 0.30000000000000004)).toBe(true);
  });

  it('tells JSON null from SQL NULL and compares kept text exactly', () => {
    expect(sameValue({ $json: 'null' }, null)).toBe(false);
    expect(sameValue({ $json: '{"a":1,"a":2}' }, { $json: '{"a":1,"a":2}' })).toBe(true);
    expect(sameValue({ $json: '{"a":1, "b":2}' }, { $json: '{"a":1,"b":2}' })).toBe(false);
    expect(sameValue({ $pg: 'float8', text: '-0' }, 0)).toBe(false);
    expect(sameValue({ $pg: 'float8', text: 'NaN' }, { $pg: 'float8', text: 'NaN' })).toBe(true);
  });
});

describe('normalizeMatch on exact values', () => {
  it('matches by the exact digits or text, never "[object Object]"', () => {
    expect(normalizeMatch({ $dec: '123456789012345678901234567890' }, 'exact')).toBe('123456789012345678901234567890');
    expect(normalizeMatch({ $json: '"A"' }, 'lowercase-trim')).toBe('"a"');
  });
});
