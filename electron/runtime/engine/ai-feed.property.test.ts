import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonlConnector } from '../connectors/jsonl/definition.js';
import type { ChangeEvent } from '../../../shared/events.js';
import { tokenKeyFromSecret } from '../masking/token.js';
import { decide } from './decide.js';
import { testFlow } from './test-support/flows.js';

/**
 * The AI-feed guarantee (docs/ai-feeds.md): over generated records, no value of a sensitive class
 * ever reaches the sink unmasked: what decide() hands the target (fields, create-only values, the
 * match value, the key) holds none of them, and a record it refuses says why without them.
 */

const tokenKeys = new Map([['ai/key', tokenKeyFromSecret('ai/key', 'a-token-key-of-at-least-thirty-two-bytes')]]);
const token = { type: 'token', keyRef: 'ai/key', keyId: 'k1' };

const feed = testFlow({
  direction: 'a-to-b',
  matchKey: { a: 'email', b: 'email', normalize: 'lowercase-trim' },
  fields: [
    { a: 'email', b: 'email', owner: 'a', class: 'email', toB: [token] },
    { a: 'name', b: 'name', owner: 'a', class: 'person-name', toB: [token] },
    { a: 'phone', b: 'phone', owner: 'a', class: 'phone', toB: [{ type: 'partial', keepLast: 2 }] },
    { a: 'card', b: 'card_last4', owner: 'a', class: 'payment-card', toB: [{ type: 'partial', keepLast: 4 }] },
    { a: 'iban', b: 'iban', owner: 'a', class: 'iban', toB: [{ type: 'redact' }] },
    { a: 'ssn', b: 'ssn', owner: 'a', class: 'national-id', toB: [{ type: 'redact' }] },
    { a: 'dob', b: 'birth_month', owner: 'a', class: 'date-of-birth', toB: [{ type: 'generalize', to: 'month' }] },
    { a: 'address', b: 'city', owner: 'a', class: 'postal-address', toB: [{ type: 'generalize', to: 'city' }] },
    { a: 'notes', b: 'notes', owner: 'a', class: 'free-text', toB: [{ type: 'scan', action: 'mask' }] },
    { a: 'plan', b: 'plan', owner: 'a', class: 'not-sensitive' },
  ] as never,
  aiFeed: {},
} as never).syncs[0]!;

const digits = (min: number, max: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: min, maxLength: max }).map((d) => d.join(''));
function luhnDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}
const card = fc.tuple(fc.constantFrom('4', '51', '55', '37', '6011'), digits(15, 15)).map(([p, d]) => {
  const body = (p + d).slice(0, p === '37' ? 14 : 15);
  return body + luhnDigit(body);
});
function ibanOf(country: string, bban: string): string {
  const moved = `${bban}${country}00`.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let rem = 0;
  for (const ch of moved) rem = (rem * 10 + Number(ch)) % 97;
  return `${country}${String(98 - rem).padStart(2, '0')}${bban}`;
}
const iban = digits(18, 18).map((d) => ibanOf('DE', d));
const phone = fc.tuple(fc.integer({ min: 1, max: 9 }), digits(8, 13)).map(([a, d]) => `+${a}${d}`);
const ssn = fc.tuple(fc.integer({ min: 1, max: 665 }), fc.integer({ min: 1, max: 99 }), fc.integer({ min: 1, max: 9999 })).map(([a, g, s]) => `${String(a).padStart(3, '0')}-${String(g).padStart(2, '0')}-${String(s).padStart(4, '0')}`);
const email = fc.tuple(fc.stringMatching(/^[a-z][a-z0-9._+-]{2,12}[a-z0-9]$/), fc.constantFrom('example.com', 'mail.example.co.uk', 'x.io')).map(([l, d]) => `${l.replace(/\.\.+/g, '.')}@${d}`);
const name = fc.tuple(fc.constantFrom('Zoë', 'José', 'Ana', 'Ngozi', 'Łukasz', '李'), fc.constantFrom('Okafor-Smith', "O'Brien", 'van der Berg', 'Müller')).map(([f, l]) => `${f} ${l}`);
const dob = fc.date({ min: new Date('1900-01-01'), max: new Date('2020-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
const address = fc.tuple(fc.integer({ min: 1, max: 9999 }), fc.constantFrom('Main St', 'Rue de Rivoli', 'Hauptstraße'), fc.constantFrom('Springfield', 'Paris', 'Berlin'), fc.constantFrom('IL 62704', '75001', '10115')).map(([n, st, c, z]) => `${n} ${st}, ${c}, ${z}`);
const filler = fc.constantFrom('', 'please call', 'see ticket', 'refund asap:', 'ok ✓', '注意', '\n');

const record = fc.record({ email, name, phone, card, iban, ssn, dob, address }).chain((r) =>
  fc.record({
    r: fc.constant(r),
    // Notes that quote some of the record's own sensitive values inside text.
    notes: fc.array(fc.tuple(filler, fc.constantFrom(r.email, r.phone, r.card, r.iban, r.ssn)), { maxLength: 4 }).map((parts) => parts.map(([f, v]) => `${f} ${v}`).join(' ')),
    plan: fc.constantFrom('free', 'pro', 'enterprise', 'pro plan 2024-03'),
  }),
);

function event(fields: Record<string, unknown>): ChangeEvent {
  return { eventId: 'e1', system: 'crm', entity: 'contacts', key: 'c1', op: 'upsert', fields, sourceTime: 1, captureTime: 1, origin: 'user' };
}

function run(fields: Record<string, unknown>, targetKey: string | null = null) {
  return decide({
    sync: feed,
    direction: 'a-to-b',
    event: event(fields),
    sourceShadow: null,
    targetShadow: null,
    targetKey,
    sourceTombstone: null,
    targetTombstone: null,
    runtimeOrigin: 'synccanvas:f1',
    targetFields: null,
    sourceFields: null,
    tombstoneTtlMs: 1000,
    transformContext: { tokenKeys },
  });
}

describe('AI feed: nothing sensitive reaches the sink unmasked', () => {
  it('over generated records, the write holds no sensitive value (new and linked records)', () => {
    fc.assert(
      fc.property(record, fc.boolean(), ({ r, notes, plan }, linked) => {
        const d = run({ ...r, notes, plan }, linked ? 'tok_k1_linked' : null);
        expect(d.error?.message ?? d.kind).toBe('write');
        const out = JSON.stringify(d.op);
        for (const v of [r.email, r.email.toUpperCase(), r.name, r.phone, r.card, r.iban, r.ssn, r.dob, r.address]) expect(out).not.toContain(v);
        if (!linked) expect(d.op).toMatchObject({ match: { field: 'email', value: expect.stringMatching(/^tok_k1_/) } });
      }),
      { numRuns: 300 },
    );
  });

  it('over generated records written through the JSONL sink, the files hold no sensitive value', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-ai-prop-'));
    const sink = jsonlConnector.create({ config: jsonlConnector.configSchema.parse({ folder: dir, entities: ['contacts'], maxFileBytes: 4096 }), secrets: {}, flowId: 'f', systemId: 'ai', dataDir: dir });
    const written: string[] = [];
    try {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(record, async ({ r, notes, plan }) => {
          const d = run({ ...r, notes, plan });
          if (d.kind !== 'write' || !d.op) return;
          const [res] = await sink.write('contacts', [{ ...d.op, idempotencyKey: `e${n++}` }], 'o');
          expect(res).toMatchObject({ ok: true });
          written.push(r.email, r.name, r.phone, r.card, r.iban, r.ssn, r.dob, r.address);
        }),
        { numRuns: 200 },
      );
    } finally {
      await sink.close();
    }
    const out = fs.readdirSync(dir).filter((f) => f.endsWith('.jsonl')).map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('');
    expect(out.split('\n').filter(Boolean).length).toBe(200);
    const lower = out.toLowerCase();
    for (const v of written) expect(lower).not.toContain(v.toLowerCase());
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a sensitive value in a field classified "not sensitive" is refused by the scanner, and the reason does not repeat it', () => {
    fc.assert(
      fc.property(record, fc.constantFrom<'email' | 'card' | 'iban' | 'ssn' | 'phone'>('email', 'card', 'iban', 'ssn', 'phone'), ({ r, notes }, which) => {
        const d = run({ ...r, notes, plan: `plan for ${r[which]}` });
        expect(d.kind).toBe('invalid');
        expect(d.error?.message).toMatch(/^AI feed scanner: field "plan" holds/);
        for (const v of [r.email, r.card, r.iban, r.ssn, r.phone]) expect(d.error?.message).not.toContain(v);
      }),
      { numRuns: 100 },
    );
  });

  it('the same email gives the same token in every record, so joins still work', () => {
    fc.assert(
      fc.property(record, record, (x, y) => {
        const a = run({ ...x.r, notes: '', plan: 'free' });
        const b = run({ ...y.r, email: ` ${x.r.email.toUpperCase()}`, notes: '', plan: 'free' });
        expect(a.op && 'fields' in a.op && a.op.fields.email).toBe(b.op && 'fields' in b.op && b.op.fields.email);
      }),
      { numRuns: 50 },
    );
  });

  it('an edge that lost its masking (a flow started without preflight) refuses every record', () => {
    const unmasked = { ...feed, fields: feed.fields.map((f) => (f.a === 'phone' ? { ...f, toB: [] } : f)) };
    const d = decide({ ...{ sync: unmasked, direction: 'a-to-b', event: event({ email: 'a@b.io', phone: '+14155550132' }), sourceShadow: null, targetShadow: null, targetKey: null, sourceTombstone: null, targetTombstone: null, runtimeOrigin: 'o', targetFields: null, sourceFields: null, tombstoneTtlMs: 1, transformContext: { tokenKeys } } } as never);
    expect(d.kind).toBe('invalid');
    expect(d.error?.message).toBe('AI feed policy: "phone" holds phone and is not masked: add a token, redact or partial');
  });

  it('a record that breaks the stored contract goes to the DLQ with the reason', () => {
    const strict = { ...feed, aiFeed: { contract: { type: 'object', properties: { plan: { enum: ['free', 'pro'] } }, additionalProperties: true } } };
    const d = decide({ sync: strict, direction: 'a-to-b', event: event({ email: 'a@b.io', plan: 'enterprise' }), sourceShadow: null, targetShadow: null, targetKey: null, sourceTombstone: null, targetTombstone: null, runtimeOrigin: 'o', targetFields: null, sourceFields: null, tombstoneTtlMs: 1, transformContext: { tokenKeys } });
    expect(d.kind).toBe('invalid');
    expect(d.error).toEqual({ errorClass: 'validation', message: 'AI feed contract: plan: must be one of "free", "pro"' });
  });
});
