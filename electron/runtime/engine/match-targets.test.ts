import { describe, expect, it } from 'vitest';
import type { Connector, WriteOp } from '../connectors/types.js';
import { ReadFailure } from '../connectors/read-failure.js';
import { openStoreDatabase } from '../store/database.js';
import { Store } from '../store/store.js';
import { FlowEngine } from './flow-engine.js';
import { statusOf } from './test-support/engine-operations.js';
import { MemorySystem } from './test-support/memory-system.js';
import { billingEntities, crmEntities, testFlow } from './test-support/flows.js';

/**
 * Matching has one owner: the engine reads each target once per batch and tells the writer which
 * record to update (its key) or to create one. The writers do not look again, so when the engine
 * cannot read, nothing is written.
 */
function setup() {
  let now = 1_000_000;
  const crm = new MemorySystem('crm', () => now, true);
  const billing = new MemorySystem('billing', () => now, true);
  const store = new Store(openStoreDatabase(':memory:'));
  const base = billing.connector(billingEntities);
  const reads = { failWith: null as ReadFailure | null, calls: 0 };
  const sent: WriteOp[] = [];
  const billingConnector: Connector = {
    ...base,
    async findByField(...args) {
      reads.calls++;
      if (reads.failWith) throw reads.failWith;
      return base.findByField(...args);
    },
    async write(entity, ops, origin) {
      sent.push(...ops);
      return base.write(entity, ops, origin);
    },
  };
  const engine = new FlowEngine({
    store,
    flow: testFlow(),
    connectors: new Map([
      ['crm', crm.connector(crmEntities)],
      ['billing', billingConnector],
    ]),
    clock: { now: () => now },
    random: () => 0.5,
    retry: { baseMs: 100, maxMs: 1000, maxAttempts: 5 },
  });
  let delivered = 0;
  const capture = () => {
    const changes = crm.changesSince(delivered, 10_000);
    delivered += changes.length;
    engine.commitCaptured('crm', { changes, checkpoint: String(delivered) });
  };
  return { engine, store, crm, billing, reads, sent, capture, advance: (ms: number) => (now += ms) };
}

describe('matching targets', () => {
  it('reads each target once per batch and sends the writer a key for every record it found, or a create', async () => {
    const t = setup();
    t.billing.userUpsert('customers', 'b1', { contact_email: 'ANN@x.io ', full_name: 'Ann (billing)' });
    t.crm.userUpsert('contacts', 'c1', { email: 'ann@x.io', name: 'Ann' });
    t.crm.userUpsert('contacts', 'c2', { email: 'bo@x.io', name: 'Bo' });
    t.capture();
    await t.engine.drainNow();
    expect(t.reads.calls).toBe(1);
    const byEmail = new Map(t.sent.map((op) => [op.kind === 'upsert' ? op.fields.contact_email : null, op]));
    expect(byEmail.get('ann@x.io')).toMatchObject({ kind: 'upsert', key: 'b1', ifMissing: 'skip' });
    expect(byEmail.get('ann@x.io')).not.toHaveProperty('match', expect.anything());
    expect(byEmail.get('bo@x.io')).toMatchObject({ kind: 'upsert', key: null, match: { field: 'contact_email', value: 'bo@x.io' } });
    expect([...t.billing.table('customers').values()].map((r) => r.full_name).sort()).toEqual(['Ann', 'Bo']);
  });

  it('writes nothing when the match cannot be read: an unreachable target pauses, a record-level failure is retried, then dead-lettered', async () => {
    const t = setup();
    t.billing.userUpsert('customers', 'b1', { contact_email: 'ann@x.io', full_name: 'Ann (billing)' });
    t.crm.userUpsert('contacts', 'c1', { email: 'ann@x.io', name: 'Ann' });
    t.capture();

    t.reads.failWith = new ReadFailure({ errorClass: 'unavailable', message: 'connect ECONNREFUSED 127.0.0.1:5432' });
    await t.engine.processBatch();
    expect(t.sent).toEqual([]);
    expect(t.store.inbox.ready('f1', Number.MAX_SAFE_INTEGER, 10).map((r) => r.attempts)).toEqual([0]);
    expect(statusOf(t.engine).systems.find((s) => s.systemId === 'billing')?.unreachable?.message).toBe('connect ECONNREFUSED 127.0.0.1:5432');

    t.reads.failWith = new ReadFailure({ errorClass: 'transient', message: 'canceling statement due to statement timeout' });
    t.advance(60_000);
    await t.engine.processBatch();
    expect(t.sent).toEqual([]);
    const [row] = t.store.inbox.ready('f1', Number.MAX_SAFE_INTEGER, 10);
    expect(row).toMatchObject({ attempts: 1, lastError: expect.stringContaining('finding customers records by contact_email failed: canceling statement') });

    // Readable again: the change updates the record it matches, and never created one meanwhile.
    t.reads.failWith = null;
    t.advance(60_000);
    await t.engine.drainNow();
    expect([...t.billing.table('customers').keys()]).toEqual(['b1']);
    expect(t.billing.table('customers').get('b1')).toMatchObject({ contact_email: 'ann@x.io', full_name: 'Ann' });
    expect(t.store.dlq.depthOfFlow('f1')).toBe(0);

    // A read that keeps failing on this record's data ends in the DLQ with its reason.
    t.crm.userUpsert('contacts', 'c2', { email: 'bo@x.io', name: 'Bo' });
    t.capture();
    t.reads.failWith = new ReadFailure({ errorClass: 'validation', message: 'column "contact_email" does not exist' });
    t.advance(60_000);
    await t.engine.processBatch();
    expect(t.sent.filter((op) => op.kind === 'upsert' && op.fields.contact_email === 'bo@x.io')).toEqual([]);
    const [entry] = t.store.dlq.select({ filter: { flowId: 'f1' } });
    expect(entry).toMatchObject({ errorClass: 'validation', message: 'finding customers records by contact_email failed: column "contact_email" does not exist' });
  });
});
