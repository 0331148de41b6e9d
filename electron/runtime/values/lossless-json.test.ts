import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isExactDouble, isIntegerText } from './decimal.js';
import { NotJsonError, parseLosslessJson, stringifyLossless } from './lossless-json.js';

describe('parseLosslessJson / stringifyLossless', () => {
  it('keeps integers beyond 2^53, long decimals, huge exponents and -0 as their digits', () => {
    const text = '{"id":123456789012345678901234567890,"a":12345678901234567890.123456789,"e":1e400,"z":-0,"n":[9007199254740993,0.1,1.5e3]}';
    const v = parseLosslessJson(text) as Record<string, unknown>;
    expect(v.id).toEqual({ $dec: '123456789012345678901234567890' });
    expect(v.a).toEqual({ $dec: '12345678901234567890.123456789' });
    expect(v.e).toEqual({ $dec: '1e400' });
    expect(v.z).toEqual({ $dec: '-0' });
    expect(v.n).toEqual([{ $dec: '9007199254740993' }, 0.1, 1500]);
    expect(stringifyLossless(v)).toBe('{"id":123456789012345678901234567890,"a":12345678901234567890.123456789,"e":1e400,"z":-0,"n":[9007199254740993,0.1,1500]}');
  });

  it('agrees with JSON.parse wherever a double holds the value, and round-trips any JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const text = JSON.stringify(v);
        expect(stringifyLossless(parseLosslessJson(text))).toBe(text);
        expect(JSON.parse(stringifyLossless(parseLosslessJson(text)))).toEqual(JSON.parse(text));
      }),
      { numRuns: 500 },
    );
  });

  it('writes any integer or decimal back digit for digit', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 60n), max: 10n ** 60n }), fc.nat({ max: 40 }), (n, scale) => {
        const digits = (n < 0n ? -n : n).toString().padStart(scale + 1, '0');
        const text = `${n < 0n ? '-' : ''}${scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`}`;
        const parsed = parseLosslessJson(`[${text}]`) as unknown[];
        const back = stringifyLossless(parsed);
        // Either the same digits, or a double that is that number exactly.
        if (typeof parsed[0] === 'number') expect(isExactDouble(text)).toBe(true);
        else expect(back).toBe(`[${text}]`);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps a "__proto__" key as data and rejects malformed text like JSON.parse', () => {
    const v = parseLosslessJson('{"__proto__":{"x":1},"big":12345678901234567890}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['__proto__', 'big']);
    for (const bad of ['{"a":12345678901234567890', '[1e400,]', '{"a" 1e400}', '"\u0001" 1e400', '01e400']) expect(() => parseLosslessJson(bad), bad).toThrow(SyntaxError);
  });

  it('refuses what JSON cannot hold exactly instead of writing null', () => {
    expect(() => stringifyLossless({ x: Number.NaN })).toThrow(NotJsonError);
    expect(() => stringifyLossless([{ $pg: 'float8', text: 'Infinity' }])).toThrow(/float8 value Infinity has no exact JSON form/);
    expect(stringifyLossless({ $json: '{"a":1,"a":2}' })).toBe('{"a":1,"a":2}');
  });
});

describe('isExactDouble / isIntegerText', () => {
  it('tells which decimal texts a double holds', () => {
    expect(isExactDouble('0.1')).toBe(true);
    expect(isExactDouble('1.50')).toBe(true);
    expect(isExactDouble('9007199254740992')).toBe(true);
    expect(isExactDouble('9007199254740993')).toBe(false);
    expect(isExactDouble('-0')).toBe(false);
    expect(isExactDouble('1e400')).toBe(false);
    expect(isIntegerText('1e3')).toBe(true);
    expect(isIntegerText('1.5')).toBe(false);
    expect(isIntegerText('123456789012345678901234567890')).toBe(true);
  });
});
