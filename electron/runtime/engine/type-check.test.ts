import { describe, expect, it } from 'vitest';
import { typeMismatch } from './type-check.js';

describe('typeMismatch', () => {
  it('accepts what each type can store', () => {
    const ok: [unknown, Parameters<typeof typeMismatch>[1]][] = [
      [42, 'integer'], ['-7', 'integer'],
      [4.5, 'number'], ['4.5', 'number'],
      [true, 'boolean'], [0, 'boolean'], ['f', 'boolean'], ['TRUE', 'boolean'],
      ['2026-01-01', 'date'], [1_700_000_000_000, 'datetime'],
      ['x', 'string'], [3, 'string'],
      [[1], 'array'], [{ a: 1 }, 'json'], [{ a: 1 }, 'unknown'],
    ];
    for (const [v, type] of ok) expect(typeMismatch(v, type, false), `${String(v)} as ${type}`).toBeNull();
  });

  it('accepts a bigint for an integer field and rejects it for a boolean with a message (no throw)', () => {
    expect(typeMismatch(9007199254740993n, 'integer', false)).toBeNull();
    expect(typeMismatch(2n, 'boolean', false)).toMatch(/expects true\/false/);
  });

  it('explains what was expected and what came', () => {
    expect(typeMismatch(4.5, 'integer', true)).toBe('expects a whole number but got 4.5 (number)');
    expect(typeMismatch('abc', 'number', true)).toBe('expects a number but got "abc" (string)');
    expect(typeMismatch('yes', 'boolean', true)).toBe('expects true/false but got "yes" (string)');
    expect(typeMismatch('soon', 'datetime', true)).toBe('expects a date but got "soon" (string)');
    // A list or an object has an exact text (its JSON), which a text column takes.
    expect(typeMismatch({ a: 1 }, 'string', true)).toBeNull();
    expect(typeMismatch([1, null], 'string', true)).toBeNull();
    expect(typeMismatch('x', 'array', true)).toBe('expects a list but got "x" (string)');
    expect(typeMismatch([1], 'integer', true)).toBe('expects a whole number but got [1] (array)');
  });

  it('shortens a long value in the message', () => {
    const msg = typeMismatch('x'.repeat(500), 'integer', true)!;
    expect(msg.length).toBeLessThan(120);
    expect(msg).toContain('…');
  });

  it('allows empty values only for nullable fields', () => {
    expect(typeMismatch(null, 'string', true)).toBeNull();
    expect(typeMismatch(undefined, 'integer', true)).toBeNull();
    expect(typeMismatch(null, 'string', false)).toMatch(/is required \(the target column is NOT NULL\)/);
  });
});

describe('typeMismatch on values beyond what a JS number or Date holds', () => {
  it('accepts every value the source types can hold', () => {
    const ok: [unknown, Parameters<typeof typeMismatch>[1]][] = [
      ['NaN', 'number'], ['Infinity', 'number'], ['-Infinity', 'number'],
      [{ $pg: 'numeric', text: 'NaN' }, 'number'], [{ $pg: 'float8', text: '-0' }, 'number'],
      [{ $dec: '12345678901234567890.123456789' }, 'number'], [{ $dec: '123456789012345678901234567890' }, 'integer'],
      ['123456789012345678901234567890', 'integer'],
      ['infinity', 'datetime'], ['-infinity', 'datetime'], ['0044-03-15 BC', 'date'],
      ['0044-03-15T10:00:00.123456Z BC', 'datetime'], ['2024-02-29T23:59:59.999999Z', 'datetime'], ['12024-01-01', 'date'],
      [{ $pg: 'array', text: '[0:1]={x,y}' }, 'array'], [{ $json: 'null' }, 'json'], [{ $json: '{"a":1}' }, 'string'],
    ];
    for (const [v, type] of ok) expect(typeMismatch(v, type, false), `${JSON.stringify(v)} as ${type}`).toBeNull();
  });

  it('names the exact value when refusing (digits, not a rounded double)', () => {
    expect(typeMismatch({ $dec: '1.5000000000000000001' }, 'integer', true)).toBe('expects a whole number but got 1.5000000000000000001 (decimal)');
    expect(typeMismatch({ $pg: 'float8', text: 'NaN' }, 'integer', true)).toBe('expects a whole number but got NaN (float8)');
  });
});
