import { describe, expect, it } from 'vitest';
import type { MatchingReport } from '../../../shared/api/contract.js';
import { FlowDocumentSchema, type FlowDocument } from '../../../shared/flow/schema.js';
import { testFlow } from '../engine/test-support/flows.js';
import { preflightEdges, type PreflightFacts, type SystemProbe } from './preflight.js';

const report = (dups: MatchingReport['duplicates'] = { a: [], b: [] }): MatchingReport => ({
  syncId: 's1',
  matchKey: { a: 'email', b: 'contact_email', normalize: 'lowercase-trim' },
  read: { a: 10, b: 10, truncated: false },
  matched: 8,
  alreadyLinked: 0,
  unmatched: { a: [], b: [] },
  duplicates: dups,
  missingKey: { a: [], b: [] },
});
const probe = (p: Partial<SystemProbe> = {}): SystemProbe => ({ connection: { ok: true, message: 'ok' }, secrets: [], pollIntervalMs: 50, ...p });
const facts = (p: Partial<PreflightFacts> = {}): PreflightFacts => ({
  systems: new Map([
    ['crm', probe()],
    ['billing', probe()],
  ]),
  matching: new Map([['s1', report()]]),
  dlqDepth: () => 0,
  maxAttempts: 8,
  ...p,
});
const failing = (flow: FlowDocument, f: PreflightFacts) => preflightEdges(flow, f)[0]!.checks.filter((c) => !c.ok).map((c) => c.id);

describe('preflightEdges', () => {
  it('passes a sound one-way edge', () => {
    const [edge] = preflightEdges(testFlow(), facts());
    expect(edge!.ok).toBe(true);
    expect(edge!.checks.map((c) => c.id)).toEqual(['ownership', 'match-keys', 'secrets', 'connections', 'dlq', 'loop-prevention', 'tombstone-ttl', 'value-fidelity']);
  });

  it('is not ready while the preview would refuse sample records, and names them', () => {
    const clean = facts({ preview: new Map([['s1', { invalid: [], read: 12 }]]) });
    expect(preflightEdges(testFlow(), clean)[0]!.checks.find((c) => c.id === 'preview-clean')).toMatchObject({ ok: true, detail: '12 sample records previewed, none would be refused' });
    const f = facts({ preview: new Map([['s1', { invalid: [{ direction: 'CRM → Billing', record: 'Ann (c1)', reason: 'plan_code: "gold" is not allowed' }], read: 12 }]]) });
    const [edge] = preflightEdges(testFlow(), f);
    expect(edge!.ok).toBe(false);
    expect(edge!.checks.find((c) => c.id === 'preview-clean')!.detail).toBe('the preview lists 1 record as Invalid: Ann (c1) (CRM → Billing): plan_code: "gold" is not allowed — fix them (see Preview) or the mapping first');
    expect(failing(testFlow(), facts({ preview: new Map([['s1', { error: 'timed out' }]]) }))).toEqual(['preview-clean']);
  });

  it('fails on duplicate match keys, missing secrets and failed connections, saying what to fix', () => {
    const f = facts({
      matching: new Map([['s1', report({ a: [{ value: 'ann@x.com', keys: ['1', '2'] }], b: [] })]]),
      systems: new Map([
        ['crm', probe({ secrets: [{ field: 'API key', ref: 'crm/key', present: false }] })],
        ['billing', probe({ connection: { ok: false, message: 'login refused' } })],
      ]),
    });
    const [edge] = preflightEdges(testFlow(), f);
    expect(failing(testFlow(), f)).toEqual(['match-keys', 'secrets', 'connections']);
    expect(edge!.checks.find((c) => c.id === 'match-keys')!.detail).toContain('contacts.email "ann@x.com" (2 records)');
    expect(edge!.checks.find((c) => c.id === 'secrets')!.detail).toContain('CRM: API key ("crm/key")');
    expect(edge!.checks.find((c) => c.id === 'connections')!.detail).toContain('Billing: login refused');
  });

  it('fails a shared field left to clock skew, and a field written by two edges', () => {
    const base = testFlow({ direction: 'both', conflictPolicy: { mode: 'newest-wins', skewToleranceMs: 0 } });
    base.syncs[0]!.fields[1]!.owner = 'shared';
    expect(failing(base, facts())).toEqual(['ownership']);
    const two = FlowDocumentSchema.parse({ ...testFlow(), syncs: [testFlow().syncs[0]!, { ...testFlow().syncs[0]!, id: 's2' }] });
    const f = facts({ matching: new Map([['s1', report()], ['s2', report()]]) });
    expect(failing(two, f)).toEqual(['loop-prevention']);
    expect(preflightEdges(two, f)[0]!.checks.find((c) => c.id === 'loop-prevention')!.detail).toContain('billing.customers.contact_email');
  });

  it('shows the tombstone TTL against the longest poll interval', () => {
    const [edge] = preflightEdges(testFlow({ pollIntervalMs: 2 * 3_600_000 }), facts());
    expect(edge!.checks.find((c) => c.id === 'tombstone-ttl')).toMatchObject({ ok: true, detail: 'deletes are remembered for 26 h; the longest poll interval is 2 h' });
  });

  it('lists mapped pairs whose values the target would change, and fails on those it would change silently', () => {
    const field = (name: string, type: 'string' | 'number' | 'integer', nativeType: string) => ({ name, type, nativeType, nullable: true, primaryKey: false });
    const systems = (planType: [('string' | 'number' | 'integer'), string]) =>
      new Map([
        ['crm', probe({ kind: 'postgres', entities: [{ name: 'contacts', keyField: 'id', fields: [field('email', 'string', 'text'), field('name', 'string', 'text'), field('plan', 'number', 'numeric')] }] })],
        ['billing', probe({ kind: planType[1] === 'REAL' ? 'sqlite' : 'postgres', entities: [{ name: 'customers', keyField: 'id', fields: [field('contact_email', 'string', 'text'), field('full_name', 'string', 'text'), field('plan_code', planType[0], planType[1])] }] })],
      ]);
    const check = (f: PreflightFacts) => preflightEdges(testFlow(), f)[0]!.checks.find((c) => c.id === 'value-fidelity')!;
    expect(check(facts({ systems: systems(['number', 'numeric']) }))).toMatchObject({ ok: true, detail: 'all 3 mapped fields convert exactly' });
    expect(check(facts({ systems: systems(['number', 'double precision']) }))).toMatchObject({ ok: false, detail: expect.stringContaining('contacts.plan (numeric) → customers.plan_code (double precision): Postgres rounds') });
    expect(check(facts({ systems: systems(['number', 'REAL']) }))).toMatchObject({ ok: true, detail: expect.stringContaining('go to the DLQ') });
    expect(check(facts())).toMatchObject({ ok: true, detail: expect.stringContaining('could not be read') });
  });

  it('warns, without blocking go-live, when the target does not keep the match value unique the way the edge matches, with the SQL to add', () => {
    const fix = { exact: 'CREATE UNIQUE INDEX CONCURRENTLY ON "public"."customers" ("contact_email");', caseInsensitive: 'CREATE UNIQUE INDEX CONCURRENTLY ON "public"."customers" (lower(btrim("contact_email")));' };
    const withUnique = (unique: { exact: boolean; caseInsensitive: boolean } | undefined) =>
      facts({
        systems: new Map([
          ['crm', probe()],
          ['billing', probe({ kind: 'postgres', entities: [{ name: 'customers', keyField: 'id', fields: [{ name: 'contact_email', type: 'string', nullable: true, primaryKey: false, ...(unique ? { unique: { ...unique, fix } } : {}) }] }] })],
        ]),
      });
    const check = (flow: FlowDocument, f: PreflightFacts) => preflightEdges(flow, f)[0]!.checks.find((c) => c.id === 'match-unique');
    const edge = preflightEdges(testFlow(), withUnique({ exact: true, caseInsensitive: false }))[0]!;
    // The test flow matches emails ignoring case: a plain unique index does not cover that.
    expect(edge.ok).toBe(true);
    expect(edge.checks.find((c) => c.id === 'match-unique')).toEqual({
      id: 'match-unique',
      label: 'Match values are unique where records are created',
      ok: true,
      warn: true,
      detail:
        'Billing does not keep customers.contact_email unique ignoring case, as this edge matches, so a record someone creates there while SyncCanvas creates one with the same contact_email can exist twice. ' +
        `Add a unique index (it fails while duplicates exist: merge them first): ${fix.caseInsensitive}`,
    });
    const exact = testFlow({ matchKey: { a: 'email', b: 'contact_email', normalize: 'exact' } });
    expect(check(exact, withUnique({ exact: true, caseInsensitive: false }))).toEqual({ id: 'match-unique', label: expect.any(String), ok: true, detail: 'Billing keeps customers.contact_email unique, so a record is never created there twice' });
    expect(check(exact, withUnique({ exact: false, caseInsensitive: false }))).toMatchObject({ warn: true, detail: expect.stringContaining(`merge them first): ${fix.exact}`) });
    expect(check(testFlow(), withUnique({ exact: true, caseInsensitive: true }))).toMatchObject({ detail: expect.stringContaining('keeps customers.contact_email unique (ignoring case') });
    expect(check(testFlow(), withUnique({ exact: true, caseInsensitive: true }))).not.toHaveProperty('warn');
    // Records are created only in the target of a one-way edge; a system that cannot tell is not checked.
    expect(check(testFlow({ direction: 'b-to-a', fields: [{ a: 'email', b: 'contact_email', owner: 'b', toA: [], toB: [], required: false }] }), withUnique({ exact: false, caseInsensitive: false }))).toBeUndefined();
    expect(check(testFlow(), withUnique(undefined))).toBeUndefined();
  });
});
