import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { formatArrayLiteral, parseArrayLiteral } from './array-literal.js';
import { encodeForColumn, OID, parserForType, parseTimestamp } from './type-mapping.js';

const identity = (t: string) => t;

describe('array literals', () => {
  test('parses quoting, escapes, NULL, nesting and dimension prefixes', () => {
    expect(parseArrayLiteral('{}', identity)).toEqual([]);
    expect(parseArrayLiteral('{a,"b c","d,e","f\\"g","h\\\\i",NULL,"NULL"}', identity)).toEqual(['a', 'b c', 'd,e', 'f"g', 'h\\i', null, 'NULL']);
    expect(parseArrayLiteral('{{1,2},{3,4}}', Number)).toEqual([[1, 2], [3, 4]]);
    expect(parseArrayLiteral('[0:1]={7,8}', Number)).toEqual([7, 8]);
    expect(() => parseArrayLiteral('{"open', identity)).toThrow(/unterminated/);
  });

  test('formats what it parses back to the same values', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.string(), { nil: null })), (values) => {
        expect(parseArrayLiteral(formatArrayLiteral(values, String), identity)).toEqual(values);
      }),
    );
  });
});

describe('value mapping', () => {
  test('keeps int8 and numeric exact and timestamps to the microsecond', () => {
    const arrays = new Map([[1016, OID.int8], [1231, OID.numeric], [3807, OID.jsonb]]);
    expect(parserForType(OID.int8, arrays)('9007199254740993')).toBe('9007199254740993');
    expect(parserForType(OID.numeric, arrays)('0.1000000000000000000001')).toBe('0.1000000000000000000001');
    expect(parserForType(1016, arrays)('{9007199254740993,NULL}')).toEqual(['9007199254740993', null]);
    expect(parserForType(3807, arrays)('{"{\\"a\\": 1}",NULL}')).toEqual([{ $json: '{"a": 1}' }, null]);
    expect(parserForType(OID.float8, arrays)('NaN')).toEqual({ $pg: 'float8', text: 'NaN' });
    expect(parserForType(OID.bool, arrays)('f')).toBe(false);
    expect(parserForType(99999, arrays)('whatever')).toBe('whatever');
  });

  test('keeps what a JS value cannot hold as Postgres text, and writes that text back', () => {
    const arrays = new Map([[1007, OID.int4]]);
    const cases: Array<[number, string, unknown]> = [
      [OID.float8, '-0', { $pg: 'float8', text: '-0' }],
      [OID.float8, '-Infinity', { $pg: 'float8', text: '-Infinity' }],
      [OID.float4, '1.1', 1.1],
      [OID.float8, '1e+100', 1e100],
      [OID.numeric, 'NaN', { $pg: 'numeric', text: 'NaN' }],
      [OID.numeric, '12345678901234567890.123456789', '12345678901234567890.123456789'],
      [OID.jsonb, '12345678901234567890.123456789', { $json: '12345678901234567890.123456789' }],
      [OID.jsonb, 'null', { $json: 'null' }],
      [OID.json, '{"a": 1, "a": 2}', { $json: '{"a": 1, "a": 2}' }],
      [1007, '[0:1]={7,8}', { $pg: 'array', text: '[0:1]={7,8}' }],
    ];
    for (const [oid, text, value] of cases) {
      expect(parserForType(oid, arrays)(text), text).toEqual(value);
      const shape = { json: oid === OID.json || oid === OID.jsonb, array: oid === 1007, elementJson: false };
      expect(encodeForColumn(value, shape), text).toBe(text);
    }
    expect(encodeForColumn({ id: { $dec: '123456789012345678901234567890' } }, { json: true, array: false, elementJson: false })).toBe('{"id":123456789012345678901234567890}');
    expect(() => encodeForColumn({ $pg: 'float8', text: 'NaN' }, { json: true, array: false, elementJson: false })).toThrow(/no exact JSON form/);
  });

  test('writes timestamps as ISO 8601', () => {
    expect(parseTimestamp('2024-03-01 10:34:56.123456+00')).toBe('2024-03-01T10:34:56.123456Z');
    expect(parseTimestamp('2024-03-01 10:34:56+05:30')).toBe('2024-03-01T10:34:56+05:30');
    expect(parseTimestamp('2024-03-01 10:34:56-07')).toBe('2024-03-01T10:34:56-07:00');
    expect(parseTimestamp('2024-03-01 10:34:56.5')).toBe('2024-03-01T10:34:56.5');
    expect(parseTimestamp('infinity')).toBe('infinity');
    expect(parseTimestamp('0044-03-15 12:00:00+00 BC')).toBe('0044-03-15 12:00:00+00 BC');
  });

  test('encodes values as the text their column type parses', () => {
    const plain = { json: false, array: false, elementJson: false };
    expect(encodeForColumn(null, plain)).toBeNull();
    expect(encodeForColumn(undefined, plain)).toBeNull();
    expect(encodeForColumn(true, plain)).toBe('true');
    expect(encodeForColumn(new Date('2024-01-01T00:00:00Z'), plain)).toBe('2024-01-01T00:00:00.000Z');
    expect(encodeForColumn('text', { ...plain, json: true })).toBe('"text"');
    expect(encodeForColumn({ a: 1 }, { ...plain, json: true })).toBe('{"a":1}');
    expect(encodeForColumn(['a"b', null, 'c'], { ...plain, array: true })).toBe('{"a\\"b",NULL,"c"}');
    expect(encodeForColumn([{ a: 1 }], { json: false, array: true, elementJson: true })).toBe('{"{\\"a\\":1}"}');
  });
});
