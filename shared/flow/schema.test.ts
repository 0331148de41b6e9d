import { describe, expect, it } from 'vitest';
import { FLOW_SCHEMA_VERSION } from './schema.js';
import { parseFlowDocument, type ValidationIssue } from './validate.js';

type Json = Record<string, unknown>;

/** A minimal valid current-version document; `sync` patches the one sync. */
function doc(sync: Json = {}, extra: Json = {}): Json {
  return {
    schemaVersion: FLOW_SCHEMA_VERSION,
    id: 'flow-1',
    name: 'CRM to billing',
    systems: [
      { id: 'crm', name: 'CRM', kind: 'postgres' },
      { id: 'billing', name: 'Billing', kind: 'sqlite' },
    ],
    syncs: [
      {
        id: 's1',
        a: { system: 'crm', entity: 'contacts' },
        b: { system: 'billing', entity: 'customers' },
        direction: 'both',
        matchKey: { a: 'email', b: 'contact_email' },
        fields: [
          { a: 'email', b: 'contact_email', owner: 'a' },
          { a: 'name', b: 'full_name', owner: 'shared' },
          { a: 'plan', b: 'plan_code', owner: 'b' },
        ],
        ...sync,
      },
    ],
    ...extra,
  };
}

function issuesOf(input: unknown): ValidationIssue[] {
  const r = parseFlowDocument(input);
  if (r.ok) throw new Error('expected the document to be rejected');
  return r.issues;
}

describe('FlowDocumentSchema', () => {
  it('parses a valid document and fills every default', () => {
    const r = parseFlowDocument(doc());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.migratedFrom).toBeUndefined();
    const [crm] = r.flow.systems;
    expect(crm).toMatchObject({ config: {}, secretRefs: {}, position: { x: 0, y: 0 } });
    const s = r.flow.syncs[0]!;
    expect(s.latency).toEqual({ tier: 'real-time' });
    expect(s.deletePolicy).toEqual({ mode: 'hard' });
    expect(s.conflictPolicy).toEqual({ mode: 'newest-wins', skewToleranceMs: 5000 });
    expect(s.ownershipViolation).toBe('report');
    expect(s.pollIntervalMs).toBe(0);
    expect(s.enabled).toBe(true);
    expect(s.matchKey.normalize).toBe('lowercase-trim');
    expect(s.fields[0]).toEqual({ a: 'email', b: 'contact_email', owner: 'a', toA: [], toB: [], required: false });
  });

  it('fills defaults inside transforms and policies', () => {
    const r = parseFlowDocument(
      doc({
        fields: [{ a: 'phone', b: 'tel', owner: 'a', toB: [{ type: 'phone' }, { type: 'value-map', map: { x: 'y' } }] }],
        conflictPolicy: { mode: 'prefer', side: 'b' },
      }),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const s = r.flow.syncs[0]!;
    expect(s.fields[0]!.toB).toEqual([
      { type: 'phone', defaultCountryCode: '1' },
      { type: 'value-map', map: { x: 'y' }, otherwise: 'keep' },
    ]);
    expect(s.conflictPolicy).toEqual({ mode: 'prefer', side: 'b', windowMs: 5000 });
  });

  it('reports a duplicate system id at the second system', () => {
    const d = doc({}, {
      systems: [
        { id: 'crm', name: 'CRM', kind: 'postgres' },
        { id: 'billing', name: 'Billing', kind: 'sqlite' },
        { id: 'crm', name: 'CRM copy', kind: 'postgres' },
      ],
    });
    const issues = issuesOf(d);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('systems[2].id');
    expect(issues[0]!.message).toMatch(/duplicate system id "crm".*its own id/);
  });

  it('reports a duplicate sync id at the second sync', () => {
    const d = doc();
    const first = (d.syncs as Json[])[0]!;
    d.syncs = [first, { ...first, b: { system: 'billing', entity: 'invoices' } }];
    const issues = issuesOf(d);
    expect(issues).toEqual([{ path: 'syncs[1].id', message: expect.stringMatching(/duplicate sync id "s1".*its own id/) }]);
  });

  it('reports an unknown system on the side that names it, listing the known ones', () => {
    const issues = issuesOf(doc({ b: { system: 'biling', entity: 'customers' } }));
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('syncs[0].b.system');
    expect(issues[0]!.message).toContain('unknown system "biling"');
    expect(issues[0]!.message).toContain('"crm", "billing"');
  });

  it('says there are no systems when a sync points into an empty canvas', () => {
    const issues = issuesOf(doc({}, { systems: [] }));
    expect(issues.map((i) => i.path)).toEqual(['syncs[0].a.system', 'syncs[0].b.system']);
    expect(issues[0]!.message).toContain('(no systems defined)');
  });

  it('rejects a sync that connects an entity to itself, pointing at side b', () => {
    const issues = issuesOf(doc({ b: { system: 'crm', entity: 'contacts' } }));
    expect(issues).toEqual([{ path: 'syncs[0].b', message: expect.stringMatching(/cannot connect an entity to itself.*side b/) }]);
  });

  it('allows two entities of the same system to be synced', () => {
    expect(parseFlowDocument(doc({ b: { system: 'crm', entity: 'leads' } })).ok).toBe(true);
  });

  it('reports a field mapped twice on side a at the second mapping', () => {
    const issues = issuesOf(
      doc({
        fields: [
          { a: 'email', b: 'contact_email', owner: 'a' },
          { a: 'name', b: 'full_name', owner: 'a' },
          { a: 'email', b: 'billing_email', owner: 'a' },
        ],
      }),
    );
    expect(issues).toEqual([{ path: 'syncs[0].fields[2].a', message: expect.stringMatching(/"email" is mapped twice on side a: map each field once/) }]);
  });

  it('reports a field mapped twice on side b at the second mapping', () => {
    const issues = issuesOf(
      doc({
        fields: [
          { a: 'email', b: 'contact_email', owner: 'a' },
          { a: 'email2', b: 'contact_email', owner: 'a' },
        ],
      }),
    );
    expect(issues).toEqual([{ path: 'syncs[0].fields[1].b', message: expect.stringMatching(/"contact_email" is mapped twice on side b/) }]);
  });

  it('reports an owner on the receiving side of an a → b sync, at that field\'s owner', () => {
    const issues = issuesOf(
      doc({
        direction: 'a-to-b',
        fields: [
          { a: 'email', b: 'contact_email', owner: 'a' },
          { a: 'name', b: 'full_name', owner: 'shared' },
          { a: 'plan', b: 'plan_code', owner: 'b' },
        ],
      }),
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('syncs[0].fields[2].owner');
    expect(issues[0]!.message).toMatch(/"plan" is owned by side b but the sync only runs a → b: make side a the owner or make the sync two-way/);
  });

  it('reports an owner on the receiving side of a b → a sync', () => {
    const issues = issuesOf(
      doc({
        direction: 'b-to-a',
        fields: [
          { a: 'email', b: 'contact_email', owner: 'b' },
          { a: 'name', b: 'full_name', owner: 'a' },
        ],
      }),
    );
    expect(issues).toEqual([{ path: 'syncs[0].fields[1].owner', message: expect.stringMatching(/"full_name" is owned by side a.*make side b the owner/) }]);
  });

  it('reports every problem at once, each at its own place', () => {
    const d = doc({ b: { system: 'nowhere', entity: 'x' }, fields: [{ a: 'e', b: 'f', owner: 'a' }, { a: 'e', b: 'g', owner: 'a' }] });
    expect(issuesOf(d).map((i) => i.path)).toEqual(['syncs[0].b.system', 'syncs[0].fields[1].a']);
  });

  it('rejects ids with spaces or symbols, saying which characters are allowed', () => {
    const issues = issuesOf(doc({ id: 'my sync!' }));
    expect(issues).toEqual([{ path: 'syncs[0].id', message: expect.stringContaining('letters, digits, "-" and "_"') }]);
  });

  it('rejects a sync without fields', () => {
    expect(issuesOf(doc({ fields: [] }))).toEqual([{ path: 'syncs[0].fields', message: 'map at least one field' }]);
  });

  it('names the bad discriminator of a latency tier', () => {
    const issues = issuesOf(doc({ latency: { tier: 'instant' } }));
    expect(issues).toEqual([{ path: 'syncs[0].latency.tier', message: 'has an unknown "tier": check the spelling' }]);
  });

  it('names the bad type of a transform', () => {
    const issues = issuesOf(doc({ fields: [{ a: 'e', b: 'f', owner: 'a', toB: [{ type: 'trim' }, { type: 'titlecase' }] }] }));
    expect(issues).toEqual([{ path: 'syncs[0].fields[0].toB[1].type', message: 'has an unknown "type": check the spelling' }]);
  });

  it('rejects a near-real-time window below 100 ms', () => {
    const issues = issuesOf(doc({ latency: { tier: 'near-real-time', windowMs: 10 } }));
    expect(issues.map((i) => i.path)).toEqual(['syncs[0].latency.windowMs']);
  });
});
