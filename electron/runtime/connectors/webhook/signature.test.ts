import { describe, expect, it } from 'vitest';
import { SignatureSchemeSchema, signPayload, verifyPayload } from './signature.js';

const body = Buffer.from('{"id":"evt_1"}');
const now = Date.parse('2026-06-01T12:00:00Z');

describe('HMAC signatures', () => {
  it('Stripe scheme: verifies t=…,v1=… (any of several v1), rejects a changed body and a stale or future timestamp', () => {
    const stripe = SignatureSchemeSchema.parse({ scheme: 'stripe' });
    const h = signPayload(stripe, 's', body, now);
    const value = h['Stripe-Signature']!;
    expect(value).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const headers = { 'stripe-signature': `${value.split(',')[0]},v1=${'0'.repeat(64)},${value.split(',')[1]},v0=x` };
    expect(verifyPayload(stripe, 's', headers, body, 300_000, now)).toEqual({ ok: true, timestampMs: Math.floor(now / 1000) * 1000 });
    expect(verifyPayload(stripe, 's', headers, Buffer.from('{"id":"evt_2"}'), 300_000, now)).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(verifyPayload(stripe, 'other', headers, body, 300_000, now)).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(verifyPayload(stripe, 's', headers, body, 300_000, now + 301_000)).toMatchObject({ ok: false, reason: 'stale' });
    expect(verifyPayload(stripe, 's', headers, body, 300_000, now - 301_000)).toMatchObject({ ok: false, reason: 'stale' });
    expect(verifyPayload(stripe, 's', { 'stripe-signature': 'garbage' }, body, 300_000, now)).toMatchObject({ ok: false, reason: 'malformed' });
    expect(verifyPayload(stripe, 's', {}, body, 300_000, now)).toMatchObject({ ok: false, reason: 'missing' });
  });

  it('configurable scheme: header names, prefix, base64, separator and ISO timestamps', () => {
    const scheme = SignatureSchemeSchema.parse({ scheme: 'hmac', signatureHeader: 'X-Sig', timestampHeader: 'X-Time', prefix: 'sha256=', encoding: 'base64', separator: '', timestampFormat: 'iso' });
    const h = signPayload(scheme, 'k', body, now);
    expect(h['X-Time']).toBe('2026-06-01T12:00:00Z');
    expect(h['X-Sig']).toMatch(/^sha256=[A-Za-z0-9+/]+=*$/);
    const lower = Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
    expect(verifyPayload(scheme, 'k', lower, body, 60_000, now)).toMatchObject({ ok: true });
    expect(verifyPayload(scheme, 'k', { ...lower, 'x-sig': lower['x-sig']!.slice(7) }, body, 60_000, now)).toMatchObject({ ok: false, reason: 'malformed' });
    expect(verifyPayload(scheme, 'k', { ...lower, 'x-time': '2026-06-01T12:00:01Z' }, body, 60_000, now)).toMatchObject({ ok: false, reason: 'mismatch' });
  });
});
