import { describe, expect, it } from 'vitest';
import { FLOW_SCHEMA_VERSION, FlowDocumentSchema } from './schema.js';
import { tablesInTwoSyncs } from './tables-in-two-syncs.js';

const flow = (syncs: { id: string; a: [string, string]; b: [string, string]; enabled?: boolean }[]) =>
  FlowDocumentSchema.parse({
    schemaVersion: FLOW_SCHEMA_VERSION,
    id: 'f',
    name: 'F',
    systems: ['crm', 'billing', 'support'].map((id) => ({ id, name: id.toUpperCase(), kind: 'sqlite' })),
    syncs: syncs.map((s) => ({
      id: s.id,
      a: { system: s.a[0], entity: s.a[1] },
      b: { system: s.b[0], entity: s.b[1] },
      direction: 'a-to-b',
      matchKey: { a: 'email', b: 'email', normalize: 'exact' },
      fields: [{ a: 'email', b: 'email', owner: 'a' }],
      enabled: s.enabled ?? true,
    })),
  });

describe('tables connected by two syncs of one flow', () => {
  it('finds a fan-out and a chain, names the systems and syncs, and says what to do', () => {
    const fanOut = tablesInTwoSyncs(flow([{ id: 'to-billing', a: ['crm', 'contacts'], b: ['billing', 'customers'] }, { id: 'to-support', a: ['crm', 'contacts'], b: ['support', 'users'] }]));
    expect(fanOut.map((t) => [t.system, t.entity, t.syncs])).toEqual([['crm', 'contacts', ['to-billing', 'to-support']]]);
    expect(fanOut[0]!.message).toBe('CRM "contacts" is connected by 2 syncs of this flow ("to-billing", "to-support"): one flow cannot yet connect a table to two syncs, and the second would miss changes. Put each of them in a flow of its own.');
    const chain = tablesInTwoSyncs(flow([{ id: 'first', a: ['crm', 'contacts'], b: ['billing', 'customers'] }, { id: 'next', a: ['billing', 'customers'], b: ['support', 'users'] }]));
    expect(chain.map((t) => t.entity)).toEqual(['customers']);
  });

  it('allows syncs on different tables, one sync both ways, and a disabled second sync', () => {
    expect(tablesInTwoSyncs(flow([{ id: 's1', a: ['crm', 'contacts'], b: ['billing', 'customers'] }, { id: 's2', a: ['crm', 'companies'], b: ['billing', 'accounts'] }]))).toEqual([]);
    expect(tablesInTwoSyncs(flow([{ id: 's1', a: ['crm', 'contacts'], b: ['billing', 'customers'] }, { id: 's2', a: ['crm', 'contacts'], b: ['support', 'users'], enabled: false }]))).toEqual([]);
  });
});
