import { describe, expect, it } from 'vitest';
import { billingEntities, crmEntities, testFlow } from '../engine/test-support/flows.js';
import { crmBillingEngine } from '../engine/test-support/crm-billing-engine.js';
import { previewSync } from '../engine/preview.js';
import { Store } from '../store/store.js';
import { replayOn } from '../engine/test-support/engine-operations.js';

/** Replays through the real engine and store against in-memory systems that log every write. */
function setup() {
  const flow = testFlow();
  const { engine, store, crm, billing, time } = crmBillingEngine({ flow, store: Store.open(':memory:') });
  let delivered = 0;
  const capture = () => {
    const changes = crm.changesSince(delivered, 1000);
    delivered += changes.length;
    if (changes.length) engine.commitCaptured('crm', { changes, checkpoint: String(delivered) });
  };
  return { crm, billing, store, engine, flow, tick: () => (time.now += 10), capture };
}

describe('DLQ replay', () => {
  it('writes once when the same entries are replayed twice (one after the other and both before the apply)', async () => {
    const { crm, billing, store, engine, capture } = setup();
    billing.reject = { field: 'full_name', value: 'd' };
    crm.userUpsert('contacts', 'c1', { email: 'ann@example.com', name: 'd', plan: 'pro' });
    crm.userUpsert('contacts', 'c2', { email: 'bob@example.com', name: 'd', plan: 'pro' });
    capture();
    await engine.drainNow();
    const ids = store.dlq.list({}, 10, 0).entries.map((e) => e.id);
    expect(ids).toHaveLength(2);
    expect(billing.writes).toHaveLength(0);

    billing.reject = null;
    // Both replays before anything is applied: the second finds the entries gone.
    expect(replayOn(engine, { ids })).toBe(2);
    expect(replayOn(engine, { ids })).toBe(0);
    expect(replayOn(engine, { filter: { errorClass: 'validation' } })).toBe(0);
    await engine.drainNow();
    expect(billing.writes.map((w) => w.op.kind === 'upsert' && w.op.fields.contact_email).sort()).toEqual(['ann@example.com', 'bob@example.com']);
    expect(billing.table('customers').size).toBe(2);

    // And once more after the apply: nothing left to replay, nothing written again.
    expect(replayOn(engine, { ids })).toBe(0);
    await engine.drainNow();
    expect(billing.writes).toHaveLength(2);
    expect(store.dlq.list({}, 10, 0).total).toBe(0);
  });

  it('applies a replayed event that was already applied as a no-op (the target holds its values)', async () => {
    const { crm, billing, store, engine, capture } = setup();
    crm.userUpsert('contacts', 'c1', { email: 'ann@example.com', name: 'Ann', plan: 'pro' });
    capture();
    await engine.drainNow();
    expect(billing.writes).toHaveLength(1);
    // The same event dead-lettered again (e.g. restored by undo after it had been re-captured and applied).
    const event = { eventId: 'crm:1', system: 'crm', entity: 'contacts', key: 'c1', op: 'upsert' as const, fields: { email: 'ann@example.com', name: 'Ann', plan: 'pro' }, sourceTime: 1_000_000, captureTime: 1_000_000, origin: 'user' };
    const id = store.dlq.add({ flowId: 'f1', syncId: 's1', direction: 'a-to-b', event, sourceSystem: 'crm', targetSystem: 'billing', errorClass: 'transient', message: 'x', response: null, attempts: 1, firstFailedAt: 1, lastFailedAt: 1, payload: null });
    expect(replayOn(engine, { ids: [id] })).toBe(1);
    await engine.drainNow();
    expect(billing.writes).toHaveLength(1);
  });
});

describe('preview', () => {
  it('writes nothing: the same decisions as the engine, no connector write', async () => {
    const { crm, billing, flow } = setup();
    crm.userUpsert('contacts', 'c1', { email: 'ann@example.com', name: 'Ann', plan: 'pro' });
    billing.userUpsert('customers', 'b1', { contact_email: 'ANN@example.com', full_name: 'Ann Old', plan_code: 'pro' });
    const writesBefore = billing.writes.length + crm.writes.length;
    const samples = await crm.connector(crmEntities).readSamples('contacts', 10);
    const targets = await billing.connector(billingEntities).findByField('customers', 'contact_email', ['ann@example.com'], 'lowercase-trim');
    const result = previewSync({ sync: flow.syncs[0]!, direction: 'a-to-b', samples, targets, links: new Map(), targetFields: null, now: 2_000_000 });
    expect(result.rows).toMatchObject([{ action: 'update', targetKey: 'b1', changes: expect.arrayContaining([{ field: 'full_name', from: 'Ann Old', to: 'Ann' }]) }]);
    expect(billing.writes.length + crm.writes.length).toBe(writesBefore);
    expect(billing.table('customers').get('b1')).toMatchObject({ full_name: 'Ann Old' });
  });
});
