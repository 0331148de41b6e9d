import { describe, expect, it } from 'vitest';
import { TransformSchema, type Transform } from '../../../shared/flow/schema.js';
import { applyTransform, applyTransforms, TransformError } from './transforms.js';

/** Transforms as the flow document gives them (defaults filled by the schema). */
const t = (raw: Record<string, unknown>): Transform => TransformSchema.parse(raw);

describe('text transforms', () => {
  it('trim, lowercase and uppercase change strings and pass other values through', () => {
    expect(applyTransform('  Ann  ', t({ type: 'trim' }))).toBe('Ann');
    expect(applyTransform('Ann@X.COM', t({ type: 'lowercase' }))).toBe('ann@x.com');
    expect(applyTransform('eu-west', t({ type: 'uppercase' }))).toBe('EU-WEST');
    for (const v of [null, undefined, 42, true]) {
      expect(applyTransform(v, t({ type: 'trim' }))).toBe(v);
      expect(applyTransform(v, t({ type: 'lowercase' }))).toBe(v);
    }
  });
});

describe('phone', () => {
  const us = t({ type: 'phone' });
  const uk = t({ type: 'phone', defaultCountryCode: '44' });

  it('formats a national number with the default country code', () => {
    expect(applyTransform('(555) 123-4567', us)).toBe('+15551234567');
    expect(applyTransform(5551234567, us)).toBe('+15551234567');
  });

  it('keeps the country code of an international number (+ or 00)', () => {
    expect(applyTransform('+44 20 7946 0958', us)).toBe('+442079460958');
    expect(applyTransform('0044 20 7946 0958', us)).toBe('+442079460958');
    expect(applyTransform('1-555-123-4567', us)).toBe('+15551234567');
  });

  it('drops the national trunk 0 before adding the country code', () => {
    expect(applyTransform('07946 0958', uk)).toBe('+4479460958');
    expect(applyTransform('020 7946 0958', uk)).toBe('+442079460958');
  });

  it('rejects what cannot be a phone number, saying why', () => {
    expect(() => applyTransform('12345', us)).toThrow(TransformError);
    expect(() => applyTransform('call me', us)).toThrow(/"call me" is not a phone number \(expected 7 to 15 digits\)/);
    expect(() => applyTransform('1234567890123456', us)).toThrow(TransformError);
  });

  it('passes empty values through', () => {
    for (const v of [null, undefined, '']) expect(applyTransform(v, us)).toBe(v);
  });
});

describe('date', () => {
  const iso = '2026-03-04T05:06:07.000Z';
  const ms = Date.parse(iso);

  it('converts between ISO strings, epoch ms and dates', () => {
    expect(applyTransform(iso, t({ type: 'date', format: 'iso-date' }))).toBe('2026-03-04');
    expect(applyTransform(iso, t({ type: 'date', format: 'epoch-ms' }))).toBe(ms);
    expect(applyTransform(ms, t({ type: 'date', format: 'iso-datetime' }))).toBe(iso);
    expect(applyTransform(String(ms), t({ type: 'date', format: 'iso-datetime' }))).toBe(iso);
    expect(applyTransform(new Date(ms), t({ type: 'date', format: 'epoch-ms' }))).toBe(ms);
  });

  it('rejects a value that is not a date', () => {
    expect(() => applyTransform('next tuesday', t({ type: 'date', format: 'iso-date' }))).toThrow(/"next tuesday" is not a date/);
    expect(() => applyTransform({}, t({ type: 'date', format: 'iso-date' }))).toThrow(TransformError);
  });

  it('passes empty values through', () => {
    for (const v of [null, undefined, '']) expect(applyTransform(v, t({ type: 'date', format: 'epoch-ms' }))).toBe(v);
  });
});

describe('value-map', () => {
  const map = { gold: 'G', '1': true, null: 'none' };

  it('maps known values, by their string form, including null', () => {
    const vm = t({ type: 'value-map', map });
    expect(applyTransform('gold', vm)).toBe('G');
    expect(applyTransform(1, vm)).toBe(true);
    expect(applyTransform(null, vm)).toBe('none');
  });

  it('keeps, nulls or rejects an unknown value as configured', () => {
    expect(applyTransform('bronze', t({ type: 'value-map', map }))).toBe('bronze');
    expect(applyTransform('bronze', t({ type: 'value-map', map, otherwise: 'null' }))).toBeNull();
    expect(() => applyTransform('bronze', t({ type: 'value-map', map, otherwise: 'reject' }))).toThrow(
      /value "bronze" is not in the value map \(known: .*gold.*\): add it to the map/,
    );
  });

  it('does not treat inherited object keys as map entries', () => {
    expect(applyTransform('toString', t({ type: 'value-map', map, otherwise: 'null' }))).toBeNull();
  });
});

describe('default', () => {
  it('fills empty values only', () => {
    const d = t({ type: 'default', value: 'basic' });
    for (const v of [null, undefined, '']) expect(applyTransform(v, d)).toBe('basic');
    expect(applyTransform('pro', d)).toBe('pro');
    expect(applyTransform(0, d)).toBe(0);
    expect(applyTransform(false, d)).toBe(false);
  });
});

describe('applyTransforms', () => {
  it('applies transforms in order', () => {
    const ts = [t({ type: 'trim' }), t({ type: 'value-map', map: { gold: 'g' } }), t({ type: 'uppercase' })];
    expect(applyTransforms('  gold ', ts)).toBe('G');
    expect(applyTransforms('  gold ', [t({ type: 'uppercase' }), t({ type: 'value-map', map: { gold: 'g' } })])).toBe('  GOLD ');
  });

  it('returns the value unchanged with no transforms', () => {
    const v = { a: 1 };
    expect(applyTransforms(v, [])).toBe(v);
  });
});

describe('transforms on exact values', () => {
  it('read an exact value by its digits or text, never "[object Object]"', () => {
    expect(applyTransforms({ $dec: '123456789012345678901234567890' }, [{ type: 'value-map', map: { '123456789012345678901234567890': 'big' }, otherwise: 'reject' }])).toBe('big');
    expect(applyTransforms({ $dec: '15551234567' }, [{ type: 'phone', defaultCountryCode: '1' }])).toBe('+15551234567');
    expect(() => applyTransforms({ $pg: 'timestamptz', text: 'soon' }, [{ type: 'date', format: 'iso-datetime' }])).toThrow('"soon" is not a date');
  });
});
