import { describe, expect, it } from 'vitest';
import { FLOW_MIGRATIONS, FlowVersionError, migrateFlowDocument } from './migrate.js';
import { FLOW_SCHEMA_VERSION } from './schema.js';
import { parseFlowText } from './validate.js';

/** A document in the v1 prototype format: no schemaVersion, arrows, owners named by system id. */
function v1Doc(): Record<string, unknown> {
  return {
    id: 'f1',
    name: 'Legacy flow',
    systems: [
      { id: 'crm', name: 'CRM', kind: 'postgres' },
      { id: 'billing', name: 'Billing', kind: 'sqlite' },
    ],
    syncs: [
      {
        id: 's1',
        a: { system: 'crm', entity: 'contacts' },
        b: { system: 'billing', entity: 'customers' },
        direction: '↔',
        matchKey: { a: 'email', b: 'email' },
        fields: [
          { a: 'email', b: 'email', owner: 'crm' },
          { a: 'plan', b: 'plan_code', owner: 'billing' },
          { a: 'name', b: 'full_name', owner: 'shared' },
        ],
      },
      {
        id: 's2',
        a: { system: 'crm', entity: 'orgs' },
        b: { system: 'billing', entity: 'accounts' },
        direction: '->',
        matchKey: { a: 'domain', b: 'domain' },
        fields: [{ a: 'domain', b: 'domain', owner: 'crm' }],
      },
    ],
  };
}

const step = FLOW_MIGRATIONS[1]!;

describe('flow migration v1 → v2 (pure step)', () => {
  it('turns every arrow spelling into a direction word', () => {
    const cases: [string, string][] = [
      ['→', 'a-to-b'],
      ['->', 'a-to-b'],
      ['←', 'b-to-a'],
      ['<-', 'b-to-a'],
      ['↔', 'both'],
      ['<->', 'both'],
      ['both', 'both'],
    ];
    for (const [arrow, word] of cases) {
      const out = step({ syncs: [{ direction: arrow, fields: [] }] });
      expect((out.syncs as { direction: string }[])[0]!.direction, arrow).toBe(word);
    }
  });

  it('turns an owner given as a system id into the side that system is on', () => {
    const out = step(v1Doc());
    const syncs = out.syncs as { fields: { owner: string }[] }[];
    expect(out.schemaVersion).toBe(2);
    expect(syncs[0]!.fields.map((f) => f.owner)).toEqual(['a', 'b', 'shared']);
    expect(syncs[1]!.fields.map((f) => f.owner)).toEqual(['a']);
  });

  it('leaves an owner naming no system of the sync for validation to report', () => {
    const out = step({ syncs: [{ a: { system: 'crm' }, b: { system: 'billing' }, direction: '→', fields: [{ a: 'x', b: 'y', owner: 'erp' }] }] });
    expect((out.syncs as { fields: { owner: string }[] }[])[0]!.fields[0]!.owner).toBe('erp');
  });

  it('does not modify its input', () => {
    const input = v1Doc();
    const before = structuredClone(input);
    step(input);
    expect(input).toEqual(before);
  });

  it('tolerates malformed syncs without throwing (validation reports them)', () => {
    expect(() => step({ syncs: [null, 7, { fields: [null] }] })).not.toThrow();
    expect(step({}).syncs).toEqual([]);
  });
});

/** A document saved by a v2 build after AI feeds arrived: the policy, classes and masking in it. */
function v2AiFeedDoc(): Record<string, unknown> {
  return {
    schemaVersion: 2,
    id: 'feed',
    name: 'CRM to the assistant',
    systems: [
      { id: 'crm', name: 'CRM', kind: 'postgres' },
      { id: 'ai', name: 'AI feed', kind: 'jsonl-folder' },
    ],
    syncs: [
      {
        id: 'crm-ai',
        a: { system: 'crm', entity: 'contacts' },
        b: { system: 'ai', entity: 'contacts' },
        direction: 'a-to-b',
        matchKey: { a: 'email', b: 'email' },
        aiFeed: { contract: { type: 'object', required: ['email'] } },
        fields: [
          { a: 'email', b: 'email', owner: 'a', class: 'email', toB: [{ type: 'token', keyRef: 'ai/token-key', keyId: 'k1' }] },
          { a: 'notes', b: 'notes', owner: 'a', class: 'free-text', toB: [{ type: 'scan', action: 'block' }] },
        ],
      },
    ],
  };
}

describe('flow migration v2 → v3 (AI feeds get their own format)', () => {
  it('reads a v2 document as before: the AI feed, classes and masking are kept, the version becomes 3', () => {
    const r = parseFlowText(JSON.stringify(v2AiFeedDoc()));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.migratedFrom).toBe(2);
    expect(r.flow.schemaVersion).toBe(3);
    const sync = r.flow.syncs[0]!;
    expect(sync.aiFeed).toEqual({ contract: { type: 'object', required: ['email'] } });
    expect(sync.fields.map((f) => [f.class, f.toB])).toEqual([
      ['email', [{ type: 'token', keyRef: 'ai/token-key', keyId: 'k1', normalize: 'lowercase-trim' }]],
      ['free-text', [{ type: 'scan', action: 'block', kinds: ['email', 'phone', 'payment-card', 'iban', 'national-id'] }]],
    ]);
  });

  it('changes nothing but the version, and not its input', () => {
    const input = v2AiFeedDoc();
    const before = structuredClone(input);
    expect(FLOW_MIGRATIONS[2]!(input)).toEqual({ ...before, schemaVersion: 3 });
    expect(input).toEqual(before);
  });

  it('a document saved by this build says format 3, which a build that reads up to 2 refuses instead of dropping the AI feed', () => {
    const r = parseFlowText(JSON.stringify(v2AiFeedDoc()));
    if (!r.ok) throw new Error('not ok');
    const saved = JSON.parse(JSON.stringify(r.flow)) as { schemaVersion: number };
    // Builds of format 2 refuse any schemaVersion above 2 (migrate.ts of that era: "newer SyncCanvas").
    expect(saved.schemaVersion).toBeGreaterThan(2);
  });
});

describe('migrateFlowDocument', () => {
  it('leaves a current document untouched', () => {
    const current = { ...v1Doc(), schemaVersion: FLOW_SCHEMA_VERSION, syncs: [] };
    const before = structuredClone(current);
    expect(migrateFlowDocument(current)).toEqual(before);
  });

  it('throws FlowVersionError for a newer document', () => {
    expect(() => migrateFlowDocument({ schemaVersion: FLOW_SCHEMA_VERSION + 5 })).toThrow(FlowVersionError);
  });
});

describe('parseFlowText on a v1 document', () => {
  it('migrates, validates and says it migrated from v1', () => {
    const r = parseFlowText(JSON.stringify(v1Doc()));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.migratedFrom).toBe(1);
    expect(r.flow.schemaVersion).toBe(FLOW_SCHEMA_VERSION);
    expect(r.flow.syncs.map((s) => s.direction)).toEqual(['both', 'a-to-b']);
    expect(r.flow.syncs[0]!.fields.map((f) => f.owner)).toEqual(['a', 'b', 'shared']);
  });

  it('also migrates a document that declares schemaVersion 1', () => {
    const r = parseFlowText(JSON.stringify({ ...v1Doc(), schemaVersion: 1 }));
    expect(r.ok && r.migratedFrom).toBe(1);
  });

  it('reports an owner that names no system of the sync at that field', () => {
    const d = v1Doc();
    ((d.syncs as { fields: { owner: string }[] }[])[1]!.fields[0]!).owner = 'erp';
    const r = parseFlowText(JSON.stringify(d));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => i.path)).toEqual(['syncs[1].fields[0].owner']);
  });

  it('validates the migrated document: a migrated owner on the wrong side of a one-way sync is reported', () => {
    const d = v1Doc();
    ((d.syncs as { fields: { owner: string }[] }[])[1]!.fields[0]!).owner = 'billing';
    const r = parseFlowText(JSON.stringify(d));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues).toEqual([{ path: 'syncs[1].fields[0].owner', message: expect.stringContaining('owned by side b') }]);
  });
});
