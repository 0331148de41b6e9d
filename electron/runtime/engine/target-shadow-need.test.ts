import { describe, expect, it } from 'vitest';
import { FlowDocumentSchema, type FlowDocument } from '../../../shared/flow/schema.js';
import { openStoreDatabase } from '../store/database.js';
import { Store } from '../store/store.js';
import { FlowEngine } from './flow-engine.js';
import { billingEntities, crmEntities, testFlow } from './test-support/flows.js';
import { MemorySystem } from './test-support/memory-system.js';
import { capturedEntities, targetShadowNeeded } from './target-shadow-need.js';

const erpEntities = [{ ...billingEntities[0]!, name: 'accounts' }];

/** crm → billing, and (with `chained`) billing → erp: then billing's records are captured. */
function chainFlow(chained: boolean): FlowDocument {
  const base = testFlow();
  return FlowDocumentSchema.parse({
    ...base,
    systems: [...base.systems, { id: 'erp', name: 'ERP', kind: 'memory' }],
    syncs: [
      base.syncs[0],
      ...(chained
        ? [{ id: 's2', a: { system: 'billing', entity: 'customers' }, b: { system: 'erp', entity: 'accounts' }, direction: 'a-to-b', matchKey: { a: 'contact_email', b: 'contact_email', normalize: 'lowercase-trim' }, fields: [{ a: 'contact_email', b: 'contact_email', owner: 'a' }, { a: 'full_name', b: 'full_name', owner: 'a' }] }]
        : []),
    ],
  });
}

function setup(flow: FlowDocument, store = new Store(openStoreDatabase(':memory:')), systems?: { crm: MemorySystem; billing: MemorySystem }) {
  const now = 1_000_000;
  const crm = systems?.crm ?? new MemorySystem('crm', () => now, true);
  const billing = systems?.billing ?? new MemorySystem('billing', () => now, true);
  const erp = new MemorySystem('erp', () => now, true);
  const engine = new FlowEngine({
    store,
    flow,
    connectors: new Map([
      ['crm', crm.connector(crmEntities)],
      ['billing', billing.connector(billingEntities)],
      ['erp', erp.connector(erpEntities)],
    ]),
    clock: { now: () => now },
  });
  let delivered = 0;
  const deliver = async () => {
    const changes = crm.changesSince(delivered, 1000);
    delivered += changes.length;
    engine.commitCaptured('crm', { changes, checkpoint: String(delivered) });
    await engine.drainNow();
  };
  const shadowSystems = () => (store.db.prepare('SELECT system, count(*) AS n FROM shadows GROUP BY system ORDER BY system').all() as { system: string; n: number }[]).map((r) => `${r.system}:${r.n}`);
  return { store, crm, billing, engine, deliver, shadowSystems };
}

describe('which target records get a shadow', () => {
  it('knows which entities a flow captures and which targets are read', () => {
    const oneWay = testFlow();
    expect([...capturedEntities(oneWay.syncs)]).toEqual(['crm\u0000contacts']);
    expect(targetShadowNeeded(oneWay.syncs[0]!, 'a-to-b', capturedEntities(oneWay.syncs))).toBe(false);
    const twoWay = testFlow({ direction: 'both' });
    expect(targetShadowNeeded(twoWay.syncs[0]!, 'a-to-b', capturedEntities(twoWay.syncs))).toBe(true);
    const chain = chainFlow(true);
    expect(targetShadowNeeded(chain.syncs[0]!, 'a-to-b', capturedEntities(chain.syncs))).toBe(true);
    // A disabled sync may be enabled again: what it would capture still counts.
    const disabled = FlowDocumentSchema.parse({ ...chain, syncs: [chain.syncs[0], { ...chain.syncs[1], enabled: false }] });
    expect(targetShadowNeeded(disabled.syncs[0]!, 'a-to-b', capturedEntities(disabled.syncs))).toBe(true);
  });

  it('a one-way edge into an entity nothing captures keeps no target shadows, and the target still gets every change', async () => {
    const t = setup(testFlow());
    t.crm.userUpsert('contacts', 'c1', { email: 'ann@x.com', name: 'Ann', plan: 'pro' });
    t.crm.userUpsert('contacts', 'c2', { email: 'bob@x.com', name: 'Bob', plan: 'free' });
    await t.deliver();
    t.crm.userUpsert('contacts', 'c1', { email: 'ann@x.com', name: 'Ann B', plan: 'pro' });
    await t.deliver();
    expect(t.shadowSystems()).toEqual(['crm:2']);
    expect([...t.billing.table('customers').values()].map((r) => [r.contact_email, r.full_name, r.plan_code]).sort()).toEqual([
      ['ann@x.com', 'Ann B', 'pro'],
      ['bob@x.com', 'Bob', 'free'],
    ]);
  });

  it('a target some route captures (two-way, or the source of another sync) keeps its shadows', async () => {
    for (const flow of [testFlow({ direction: 'both' }), chainFlow(true)]) {
      const t = setup(flow);
      t.crm.userUpsert('contacts', 'c1', { email: 'ann@x.com', name: 'Ann', plan: 'pro' });
      await t.deliver();
      expect(t.shadowSystems()).toEqual(['billing:1', 'crm:1']);
    }
  });

  it('keeps a shadow that exists up to date (a flow that was two-way), so it never hides a value the target lost', async () => {
    const store = new Store(openStoreDatabase(':memory:'));
    const before = setup(testFlow({ direction: 'both' }), store);
    before.crm.userUpsert('contacts', 'c1', { email: 'ann@x.com', name: 'Ann', plan: 'pro' });
    await before.deliver();
    expect(before.shadowSystems()).toEqual(['billing:1', 'crm:1']);

    // The same workspace, now one-way: billing's shadow of the record says "Ann".
    await before.engine.stop();
    const t = setup(testFlow(), store, before);
    const delivered = t.crm.log.length;
    t.crm.userUpsert('contacts', 'c1', { name: 'Ann B' });
    t.crm.userUpsert('contacts', 'c1', { name: 'Ann' });
    const changes = t.crm.changesSince(delivered, 1000);
    expect(changes.map((c) => c.fields.name)).toEqual(['Ann B', 'Ann']);
    // One change per batch: the second is decided with what the first left behind.
    for (const [i, change] of changes.entries()) {
      t.engine.commitCaptured('crm', { changes: [change], checkpoint: String(100 + i) });
      await t.engine.drainNow();
    }
    expect([...t.billing.table('customers').values()].map((r) => r.full_name)).toEqual(['Ann']);
  });
});
