import { describe, expect, it } from 'vitest';
import { TransformSchema, type Transform } from '../../../shared/flow/schema.js';
import { tokenKeyFromSecret } from '../masking/token.js';
import { applyTransform, applyTransforms, ScanBlockedError, TransformError } from './transforms.js';

const t = (raw: Record<string, unknown>): Transform => TransformSchema.parse(raw);
const KEY1 = 'k'.repeat(40);
const KEY2 = 'another-secret-key-of-forty-characters!!';
const ctx = (secret = KEY1) => ({ tokenKeys: new Map([['ai/key', tokenKeyFromSecret('ai/key', secret)]]) });

describe('redact and partial', () => {
  it('redact removes the value', () => {
    expect(applyTransform('jane@example.com', t({ type: 'redact' }))).toBeNull();
    expect(applyTransform({ $dec: '123456789012345678901234567890' }, t({ type: 'redact' }))).toBeNull();
  });

  it('partial keeps the last N characters of the exact text, never more than half', () => {
    expect(applyTransform('4111111111111111', t({ type: 'partial' }))).toBe('************1111');
    expect(applyTransform({ $dec: '123456789012345678901234567890' }, t({ type: 'partial', keepLast: 2 }))).toBe(`${'*'.repeat(28)}90`);
    expect(applyTransform('abc', t({ type: 'partial', keepLast: 4 }))).toBe('**c');
    expect(applyTransform('😀😀😀😀', t({ type: 'partial', keepLast: 1 }))).toBe('***😀');
    expect(applyTransform(null, t({ type: 'partial' }))).toBeNull();
  });
});

describe('keyed deterministic tokens', () => {
  const tok = t({ type: 'token', keyRef: 'ai/key', keyId: 'k1' });

  it('the same value under the same key gives the same token; case and spaces do not matter by default', () => {
    const a = applyTransform('Jane@Example.com ', tok, ctx());
    expect(a).toMatch(/^tok_k1_[A-Za-z0-9_-]{43}$/);
    expect(applyTransform('jane@example.com', tok, ctx())).toBe(a);
    expect(applyTransform('john@example.com', tok, ctx())).not.toBe(a);
    const exact = t({ type: 'token', keyRef: 'ai/key', keyId: 'k1', normalize: 'exact' });
    expect(applyTransform('Jane@Example.com', exact, ctx())).not.toBe(applyTransform('jane@example.com', exact, ctx()));
  });

  it('is a known HMAC-SHA256 (RFC 4231-style check, so a reader can verify tokens with the key)', () => {
    const key = 'key-for-the-published-check-of-32+bytes';
    const got = applyTransform('jane@example.com', tok, { tokenKeys: new Map([['ai/key', Buffer.from(key)]]) });
    // echo -n jane@example.com | openssl dgst -sha256 -hmac "$key" -binary | base64 | tr '+/' '-_' | tr -d '='
    expect(got).toBe('tok_k1_NgjtmEXtaZsaOZjfqwwnrg-j1xuhXaAbLWp_FheclK4');
  });

  it('rotation: a new key and key id give tokens that never equal the old ones, and say which key made them', () => {
    const old = applyTransform('jane@example.com', tok, ctx(KEY1)) as string;
    const rotated = applyTransform('jane@example.com', t({ type: 'token', keyRef: 'ai/key', keyId: 'k2' }), ctx(KEY2)) as string;
    expect(rotated.startsWith('tok_k2_')).toBe(true);
    expect(rotated.slice(7)).not.toBe(old.slice(7));
    // Still deterministic under the new key.
    expect(applyTransform(' JANE@example.com', t({ type: 'token', keyRef: 'ai/key', keyId: 'k2' }), ctx(KEY2))).toBe(rotated);
  });

  it('refuses without its key, and refuses a short key', () => {
    expect(() => applyTransform('x', tok, {})).toThrow(/the token key "ai\/key" is not loaded/);
    expect(() => tokenKeyFromSecret('ai/key', 'short')).toThrow(/at least 32/);
  });
});

describe('generalize', () => {
  it('dates to month or year, on the exact text (BC dates and years past 9999 too)', () => {
    const month = t({ type: 'generalize', to: 'month' });
    expect(applyTransform('1984-07-09', month)).toBe('1984-07');
    expect(applyTransform('2024-03-01T10:34:56.123456Z', month)).toBe('2024-03');
    expect(applyTransform({ $pg: 'date', text: '0044-03-15 BC' }, month)).toBe('0044-03 BC');
    expect(applyTransform('12024-03-15', t({ type: 'generalize', to: 'year' }))).toBe('12024');
    expect(() => applyTransform('July 9th', month)).toThrow(TransformError);
  });

  it('numbers to buckets by their digits', () => {
    const b = t({ type: 'generalize', to: 'bucket', bucketSize: 100 });
    expect(applyTransform(1234, b)).toBe('1200–1299');
    expect(applyTransform({ $dec: '123456789012345678901234567890.5' }, b)).toBe('123456789012345678901234567800–123456789012345678901234567899');
    expect(applyTransform(-0.5, b)).toBe('-100–-1');
    expect(applyTransform(-100, b)).toBe('-100–-1');
    expect(() => applyTransform('NaN', b)).toThrow(TransformError);
  });

  it('addresses to their city', () => {
    const city = t({ type: 'generalize', to: 'city' });
    expect(applyTransform('1 Main St, Springfield, IL 62704, USA', city)).toBe('Springfield');
    expect(applyTransform('10 Downing Street, London SW1A 2AA, UK', city)).toBe('London');
    expect(applyTransform('Hauptstraße 5, 10115 Berlin, Germany', city)).toBe('Berlin');
    expect(applyTransform({ $json: '{"street": "1 Main St", "City": "Springfield"}' }, city)).toBe('Springfield');
    expect(() => applyTransform('1 Main St', city)).toThrow(/no comma-separated city/);
  });
});

describe('scan', () => {
  it('masks what it finds, or blocks the record saying where (not what)', () => {
    const note = 'Call +1 415 555 0132 or mail jane@example.com';
    expect(applyTransform(note, t({ type: 'scan' }))).toBe('Call [phone] or mail [email]');
    expect(() => applyTransform(note, t({ type: 'scan', action: 'block' }))).toThrow(ScanBlockedError);
    try {
      applyTransform(note, t({ type: 'scan', action: 'block' }));
    } catch (e) {
      expect((e as Error).message).not.toContain('jane');
      expect((e as Error).message).toContain('1 email at');
    }
    expect(applyTransform('nothing here', t({ type: 'scan', action: 'block' }))).toBe('nothing here');
  });

  it('chains: scan then partial never shows a value the scan found', () => {
    expect(applyTransforms('card 4111111111111111', [t({ type: 'scan' }), t({ type: 'uppercase' })])).toBe('CARD [CARD]');
  });
});
