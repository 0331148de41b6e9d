import { describe, expect, it } from 'vitest';
import { SyncSchema, type SyncEdge } from '../flow/schema.js';
import { contractProblems, contractViolations, generateContract } from './contract.js';
import { feedProblems } from './feed-policy.js';

function feed(fields: unknown[], extra: Record<string, unknown> = {}): SyncEdge {
  return SyncSchema.parse({ id: 's1', a: { system: 'crm', entity: 'contacts' }, b: { system: 'ai', entity: 'contacts' }, direction: 'a-to-b', matchKey: { a: 'email', b: 'email' }, fields, aiFeed: {}, ...extra });
}

const token = { type: 'token', keyRef: 'ai/key', keyId: 'k1' };

describe('AI feed policy', () => {
  it('blocks unclassified fields, unmasked sensitive ones and a raw match key', () => {
    const s = feed([
      { a: 'email', b: 'email', owner: 'a', class: 'email' },
      { a: 'name', b: 'name', owner: 'a' },
      { a: 'notes', b: 'notes', owner: 'a', class: 'free-text', toB: [{ type: 'partial' }] },
      { a: 'dob', b: 'dob', owner: 'a', class: 'date-of-birth', toB: [{ type: 'generalize', to: 'city' }] },
      { a: 'plan', b: 'plan', owner: 'a', class: 'not-sensitive' },
    ]);
    expect(feedProblems(s).map((p) => p.message)).toEqual([
      '"email" holds email and is not masked: add a token, redact or partial',
      '"name" is not classified: choose what it holds (or "not sensitive")',
      '"notes" holds free-text and is not masked: add a scan (mask or block), a token or redact',
      '"dob" holds date-of-birth and is not masked: add a token, redact, partial or generalize to month/year',
      'the match key "email" holds email: mask it with a token (the same value gives the same token, so records still match)',
    ]);
  });

  it('passes a fully classified, masked feed', () => {
    const s = feed([
      { a: 'email', b: 'email', owner: 'a', class: 'email', toB: [token] },
      { a: 'notes', b: 'notes', owner: 'a', class: 'free-text', toB: [{ type: 'scan', action: 'block' }] },
      { a: 'dob', b: 'dob', owner: 'a', class: 'date-of-birth', toB: [{ type: 'generalize', to: 'month' }] },
    ]);
    expect(feedProblems(s)).toEqual([]);
  });

  it('an AI feed is one way', () => {
    expect(() => SyncSchema.parse({ ...feed([{ a: 'email', b: 'email', owner: 'a' }]), direction: 'both' })).not.toThrow(); // the edge alone
    // The flow-level rule is in FlowDocumentSchema (see schema.test.ts); feedProblems says it too.
    expect(feedProblems({ ...feed([{ a: 'email', b: 'email', owner: 'a', class: 'not-sensitive' }]), direction: 'both' })[0]!.message).toContain('one way');
  });
});

describe('AI feed contract', () => {
  const s = feed([
    { a: 'email', b: 'email', owner: 'a', class: 'email', toB: [token], required: true },
    { a: 'card', b: 'card', owner: 'a', class: 'payment-card', toB: [{ type: 'partial', keepLast: 4 }] },
    { a: 'ssn', b: 'ssn', owner: 'a', class: 'national-id', toB: [{ type: 'redact' }] },
    { a: 'dob', b: 'birth_month', owner: 'a', class: 'date-of-birth', toB: [{ type: 'generalize', to: 'month' }] },
    { a: 'score', b: 'score', owner: 'a', class: 'not-sensitive' },
  ]);
  const c = generateContract(s);

  it('is generated from the mapping', () => {
    expect(contractProblems(c)).toEqual([]);
    expect(c.required).toEqual(['email']);
    expect(c.additionalProperties).toBe(false);
    expect((c.properties as Record<string, unknown>).ssn).toEqual({ 'x-synccanvas-class': 'national-id', 'x-synccanvas-masking': 'redact', type: 'null' });
  });

  it('accepts masked records and names what a bad one breaks, without its values', () => {
    const good = { email: `tok_k1_${'A'.repeat(43)}`, card: '************1111', ssn: null, birth_month: '1984-07', score: { $dec: '12345678901234567890' } };
    expect(contractViolations(good, c)).toEqual([]);
    const bad = { email: 'jane@example.com', card: '4111111111111111', ssn: '078-05-1120', birth_month: '1984-07-09', extra: 1 };
    const v = contractViolations(bad, c);
    expect(v).toEqual([
      'email: does not match the pattern ^tok_k1_[A-Za-z0-9_-]{43}$',
      'card: does not match the pattern ^\\**[^*]{0,4}$',
      'ssn: expected null, got string',
      'birth_month: does not match the pattern ^-?\\d{4,}-\\d{2}( BC)?$',
      'extra: not in the contract (additionalProperties is false)',
    ]);
    expect(v.join(' ')).not.toContain('jane@');
    expect(contractViolations({}, c)).toEqual(['email: required by the contract but missing']);
  });

  it('an edited contract with an unsupported keyword says what to fix', () => {
    expect(contractProblems({ type: 'object', properties: { a: { oneOf: [] } } })[0]).toMatch(/^#\/properties\/a: "oneOf" is not supported here/);
    expect(contractViolations({ a: 1 }, { type: 'object', properties: { a: { pattern: '(' } } })[0]).toMatch(/^the contract itself is invalid/);
  });
});

describe('flow document', () => {
  it('keeps classes and the AI feed, and refuses a two-way AI feed with what to fix', async () => {
    const { FlowDocumentSchema, FLOW_SCHEMA_VERSION } = await import('../flow/schema.js');
    const doc = (direction: string) => ({
      schemaVersion: FLOW_SCHEMA_VERSION,
      id: 'f',
      name: 'F',
      systems: [
        { id: 'crm', name: 'CRM', kind: 'sqlite' },
        { id: 'ai', name: 'AI', kind: 'jsonl-folder' },
      ],
      syncs: [{ id: 's', a: { system: 'crm', entity: 'c' }, b: { system: 'ai', entity: 'c' }, direction, matchKey: { a: 'email', b: 'email' }, fields: [{ a: 'email', b: 'email', owner: 'a', class: 'email', toB: [token] }], aiFeed: {} }],
    });
    const ok = FlowDocumentSchema.parse(doc('a-to-b'));
    expect(ok.syncs[0]!.fields[0]!.class).toBe('email');
    expect(ok.syncs[0]!.aiFeed).toEqual({});
    const bad = FlowDocumentSchema.safeParse(doc('both'));
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]).toMatchObject({ path: ['syncs', 0, 'direction'], message: 'an AI feed runs one way, into the AI tool: make the sync a → b or b → a' });
  });
});
