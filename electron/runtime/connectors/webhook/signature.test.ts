import { describe, expect, it } from 'vitest';
import { githubExample, shopifyExample, slackExample, stripeExample } from './fixtures/vendor-signatures.js';
import { isTimestamped, SignatureSchemeSchema, signPayload, verifyPayload } from './signature.js';

const body = Buffer.from('{"id":"evt_1"}');
const now = Date.parse('2026-06-01T12:00:00Z');
const DAY = 86_400_000;

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

describe('vendor presets against the vendors’ published examples', () => {
  it('GitHub: sha256=<hex> over the raw body, no timestamp, so age does not matter; the legacy SHA-1 header is not accepted', () => {
    const github = SignatureSchemeSchema.parse({ scheme: 'github' });
    const raw = Buffer.from(githubExample.body);
    expect(verifyPayload(github, githubExample.secret, githubExample.headers, raw, 300_000, now)).toEqual({ ok: true, timestampMs: null });
    expect(verifyPayload(github, githubExample.secret, githubExample.headers, raw, 300_000, now + 365 * DAY)).toMatchObject({ ok: true });
    expect(verifyPayload(github, githubExample.secret, githubExample.headers, Buffer.from('Hello, World?'), 300_000, now)).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(verifyPayload(github, 'another secret', githubExample.headers, raw, 300_000, now)).toMatchObject({ ok: false, reason: 'mismatch' });
    const sha1 = { 'x-hub-signature': 'sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59' };
    expect(verifyPayload(github, githubExample.secret, sha1, raw, 300_000, now)).toMatchObject({ ok: false, reason: 'missing' });
    expect(verifyPayload(github, githubExample.secret, { 'x-hub-signature-256': githubExample.headers['x-hub-signature-256'].slice(7) }, raw, 300_000, now)).toMatchObject({
      ok: false,
      reason: 'malformed',
    });
    expect(signPayload(github, githubExample.secret, githubExample.body)).toEqual({ 'X-Hub-Signature-256': githubExample.headers['x-hub-signature-256'] });
    expect(isTimestamped(github)).toBe(false);
  });

  it('Shopify: base64 HMAC of the raw body in X-Shopify-Hmac-Sha256', () => {
    const shopify = SignatureSchemeSchema.parse({ scheme: 'shopify' });
    const raw = Buffer.from(shopifyExample.body);
    expect(verifyPayload(shopify, shopifyExample.secret, shopifyExample.headers, raw, 300_000, now)).toEqual({ ok: true, timestampMs: null });
    expect(verifyPayload(shopify, shopifyExample.secret, shopifyExample.headers, Buffer.from(shopifyExample.body.replace('jon', 'jan')), 300_000, now)).toMatchObject({
      ok: false,
      reason: 'mismatch',
    });
    // The same digest in hex is not what Shopify sends.
    const hex = Buffer.from(shopifyExample.headers['x-shopify-hmac-sha256'], 'base64').toString('hex');
    expect(verifyPayload(shopify, shopifyExample.secret, { 'x-shopify-hmac-sha256': hex }, raw, 300_000, now)).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(signPayload(shopify, shopifyExample.secret, raw)).toEqual({ 'X-Shopify-Hmac-Sha256': shopifyExample.headers['x-shopify-hmac-sha256'] });
  });

  it('Slack: v0=<hex> over v0:<ts>:<body>, with the timestamp window', () => {
    const slack = SignatureSchemeSchema.parse({ scheme: 'slack' });
    const raw = Buffer.from(slackExample.body);
    const at = slackExample.timestampSec * 1000;
    expect(verifyPayload(slack, slackExample.secret, slackExample.headers, raw, 300_000, at + 10_000)).toEqual({ ok: true, timestampMs: at });
    expect(verifyPayload(slack, slackExample.secret, slackExample.headers, raw, 300_000, at + 301_000)).toMatchObject({ ok: false, reason: 'stale' });
    expect(verifyPayload(slack, slackExample.secret, { ...slackExample.headers, 'x-slack-request-timestamp': '1531420619' }, raw, 300_000, at)).toMatchObject({
      ok: false,
      reason: 'mismatch',
    });
    expect(verifyPayload(slack, slackExample.secret, { 'x-slack-signature': slackExample.headers['x-slack-signature'] }, raw, 300_000, at)).toMatchObject({
      ok: false,
      reason: 'missing',
    });
    expect(signPayload(slack, slackExample.secret, raw, at + 999)).toEqual({
      'X-Slack-Request-Timestamp': slackExample.headers['x-slack-request-timestamp'],
      'X-Slack-Signature': slackExample.headers['x-slack-signature'],
    });
  });

  it('Stripe: the header its SDK test helper builds, with a second, wrong v1 beside the right one', () => {
    const stripe = SignatureSchemeSchema.parse({ scheme: 'stripe' });
    const raw = Buffer.from(stripeExample.body);
    const at = stripeExample.timestampSec * 1000;
    expect(verifyPayload(stripe, stripeExample.secret, stripeExample.headers, raw, 10_000, at + 9_000)).toEqual({ ok: true, timestampMs: at });
    expect(verifyPayload(stripe, stripeExample.secret, stripeExample.headers, raw, 10_000, at + 15_000)).toMatchObject({ ok: false, reason: 'stale' });
    expect(verifyPayload(stripe, `${stripeExample.secret} `, stripeExample.headers, raw, 10_000, at)).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(signPayload(stripe, stripeExample.secret, raw, at)).toEqual({ 'Stripe-Signature': stripeExample.headers['stripe-signature'].replace(',v1=potato', '') });
  });

  it('generic t=,v1= under any header, and a configurable body-only HMAC', () => {
    const tv1 = SignatureSchemeSchema.parse({ scheme: 't-v1', header: 'X-Acme-Signature' });
    const raw = Buffer.from(stripeExample.body);
    const at = stripeExample.timestampSec * 1000;
    expect(verifyPayload(tv1, stripeExample.secret, { 'x-acme-signature': stripeExample.headers['stripe-signature'] }, raw, 10_000, at)).toMatchObject({ ok: true });
    expect(verifyPayload(tv1, stripeExample.secret, stripeExample.headers, raw, 10_000, at)).toMatchObject({ ok: false, reason: 'missing' });

    // GitHub's example through the configurable form, hex and base64.
    const hex = SignatureSchemeSchema.parse({ scheme: 'body-hmac', header: 'X-Body-Sig', prefix: 'sha256=' });
    const gh = Buffer.from(githubExample.body);
    expect(verifyPayload(hex, githubExample.secret, { 'x-body-sig': githubExample.headers['x-hub-signature-256'] }, gh, 1, now)).toEqual({ ok: true, timestampMs: null });
    const b64 = SignatureSchemeSchema.parse({ scheme: 'body-hmac', header: 'X-Body-Sig', encoding: 'base64' });
    expect(verifyPayload(b64, shopifyExample.secret, { 'x-body-sig': shopifyExample.headers['x-shopify-hmac-sha256'] }, Buffer.from(shopifyExample.body), 1, now)).toMatchObject({ ok: true });
    expect(() => SignatureSchemeSchema.parse({ scheme: 'body-hmac' })).toThrow();
  });
});
