import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeShadow, encodeShadow } from './shadow-codec.js';
import type { FieldShadow, RecordShadow } from './shadows.js';

/** Values as shadows hold them: plain JSON values and the lossless tagged forms (docs/values.md). */
const value = fc.oneof(
  fc.string(),
  fc.constant(''),
  fc.constant(null),
  fc.boolean(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
  fc.record({ $dec: fc.string() }),
  fc.record({ $json: fc.string() }),
  fc.record({ $pg: fc.constant('float8'), text: fc.constantFrom('NaN', 'Infinity', '-0') }),
  fc.array(fc.oneof(fc.string(), fc.constant(null), fc.integer()), { maxLength: 3 }),
);
const time = fc.oneof(fc.constant(1_733_550_000_000), fc.integer({ min: -1e15, max: 1e15 }));
const field: fc.Arbitrary<FieldShadow> = fc
  .record({ v: value, t: time, by: fc.constantFrom('self' as const, 'sync' as const), p: fc.option(fc.array(value, { maxLength: 3 }), { nil: undefined }), w: fc.option(fc.integer(), { nil: undefined }) })
  .map((f) => {
    const out: FieldShadow = { v: f.v, t: f.t, by: f.by };
    if (f.p !== undefined) out.p = f.p;
    if (f.w !== undefined) out.w = f.w;
    return out;
  });
const shadow: fc.Arbitrary<RecordShadow> = fc
  .record({
    fields: fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('__proto__', 'c', 'f', 't', 'v', 'by')), field, { maxKeys: 8 }),
    version: fc.option(fc.integer(), { nil: undefined }),
    seen: fc.option(time, { nil: undefined }),
    written: fc.option(fc.array(fc.integer(), { maxLength: 4 }), { nil: undefined }),
  })
  .map((s) => {
    const out: RecordShadow = { fields: s.fields };
    if (s.version !== undefined) out.version = s.version;
    if (s.seen !== undefined) out.seen = s.seen;
    if (s.written !== undefined) out.written = s.written;
    return out;
  });

describe('shadow codec', () => {
  it('reads back exactly what it wrote, for any shadow', () => {
    fc.assert(
      fc.property(shadow, (s) => {
        const text = encodeShadow(s);
        // What the plain form reads back as is what the compact form must read back as.
        expect(decodeShadow(text)).toStrictEqual(JSON.parse(JSON.stringify(s)));
        expect(Object.keys(decodeShadow(text).fields)).toEqual(Object.keys(s.fields));
      }),
      { numRuns: 500 },
    );
  });

  it('writes a record of the system\'s own changes in about half the bytes of the plain form', () => {
    const t = 1_733_550_000_000;
    const s: RecordShadow = { fields: { email: { v: 'ann@example.com', t, by: 'self' }, name: { v: 'Ann', t, by: 'self' }, amount: { v: { $dec: '12345678901234567890.5' }, t: t + 1, by: 'self' }, plan: { v: 'pro', t, by: 'sync', w: 3 } }, version: 7, seen: t };
    const text = encodeShadow(s);
    expect(text).toBe(`{"c":1,"f":{"email":["ann@example.com"],"name":["Ann"],"amount":[{"$dec":"12345678901234567890.5"},${t + 1}],"plan":{"v":"pro","t":${t},"by":"sync","w":3}},"t":${t},"version":7,"seen":${t}}`);
    expect(decodeShadow(text)).toStrictEqual(s);
    const own: RecordShadow = { fields: Object.fromEntries(['id', 'email', 'name', 'amount', 'updated_at', 'data'].map((k, i) => [k, { v: `value ${i}`, t, by: 'self' as const }])), seen: t };
    expect(encodeShadow(own).length).toBeLessThan(JSON.stringify(own).length * 0.6);
  });

  it('reads the plain form every earlier shadow was written in', () => {
    const s: RecordShadow = { fields: { email: { v: 'a@x', t: 1, by: 'self', p: ['a@x'] }, __proto__x: { v: null, t: 2, by: 'sync' } }, written: [4] };
    expect(decodeShadow(JSON.stringify(s))).toStrictEqual(s);
    expect(decodeShadow('{"fields":{}}')).toStrictEqual({ fields: {} });
  });

  it('keeps the object form for a field stored apart (no value inline, marked x)', () => {
    const s = { fields: { body: { t: 5, by: 'self', x: 1 }, n: { v: 1, t: 5, by: 'self' } } } as unknown as RecordShadow;
    expect(encodeShadow(s)).toBe('{"c":1,"f":{"body":{"t":5,"by":"self","x":1},"n":[1]},"t":5}');
    expect(decodeShadow(encodeShadow(s))).toStrictEqual(s);
  });
});
