import { describe, expect, it } from 'vitest';
import type { CapturedChange, SnapshotMark } from '../connectors/types.js';
import { openStoreDatabase } from '../store/database.js';
import { Store } from '../store/store.js';
import { FlowEngine } from './flow-engine.js';
import { MemorySystem } from './test-support/memory-system.js';
import { billingEntities, crmEntities, testFlow } from './test-support/flows.js';

/**
 * A restarted initial snapshot reconciles deletes: records the interrupted attempt copied (applied,
 * or still waiting in the inbox) that the new attempt no longer finds are deleted in the target per
 * the delete policy; records the flow never synced, and records linked after the new read began,
 * are left alone.
 */
describe('snapshot reconciliation', () => {
  it('deletes what an interrupted snapshot copied and the source no longer has, and nothing else', async () => {
    let now = 1_000_000;
    const crm = new MemorySystem('crm', () => now, true);
    const billing = new MemorySystem('billing', () => now, true);
    const store = new Store(openStoreDatabase(':memory:'));
    const make = (patch = {}) =>
      new FlowEngine({
        store,
        flow: testFlow(patch),
        connectors: new Map([
          ['crm', crm.connector(crmEntities)],
          ['billing', billing.connector(billingEntities)],
        ]),
        clock: { now: () => now },
        random: () => 0.5,
      });
    const row = (snap: string, key: string): CapturedChange => ({
      eventId: `crm:snap:${snap}:${key}`,
      entity: 'contacts',
      key,
      op: 'upsert',
      fields: { email: `${key}@x.io`, name: key.toUpperCase(), plan: 'p' },
      sourceTime: now,
      origin: 'user',
    });
    // A customer the flow never synced, whose email no contact has.
    billing.userUpsert('customers', 'own', { contact_email: 'own@x.io', full_name: 'Own', plan_code: 'x' });

    // Attempt 1: two batches captured, only the first applied, then the process dies.
    let engine = make();
    const first: SnapshotMark = { id: 'snap-1', entities: ['contacts'], sourceTime: now, startedAt: now };
    engine.commitCaptured('crm', { changes: ['c1', 'c2', 'c3'].map((k) => row('1', k)), checkpoint: 'snapshot:1', snapshot: first });
    await engine.drainNow();
    engine.commitCaptured('crm', { changes: ['c4', 'c5'].map((k) => row('1', k)), checkpoint: 'snapshot:1', snapshot: first });
    expect([...billing.table('customers').keys()]).toHaveLength(4);

    // Meanwhile c2 (applied) and c4 (captured, not applied) are deleted at the source.
    now += 1000;
    engine = make();
    const second: SnapshotMark = { id: 'snap-2', entities: ['contacts'], sourceTime: now, startedAt: now };
    now += 10;
    // Linked after the new read began (our own write on a two-way sync, say): the read cannot vouch for it.
    billing.userUpsert('customers', 'late', { contact_email: 'late@x.io', full_name: 'Late', plan_code: 'x' });
    store.links.link('f1', 's1', 'c9', 'late', now);
    engine.commitCaptured('crm', { changes: ['c1', 'c3'].map((k) => row('2', k)), checkpoint: 'snapshot:2', snapshot: second });
    engine.commitCaptured('crm', { changes: ['c5', 'c6'].map((k) => row('2', k)), checkpoint: 'snapshot:2', snapshot: second });
    engine.commitCaptured('crm', { changes: [], checkpoint: 'lsn-2', snapshot: { ...second, done: true } });
    await engine.drainNow();

    const emails = [...billing.table('customers').values()].map((r) => r.contact_email).sort();
    expect(emails).toEqual(['c1@x.io', 'c3@x.io', 'c5@x.io', 'c6@x.io', 'late@x.io', 'own@x.io']);
    expect(store.inbox.pending('f1')).toBe(0);
    expect(store.dlq.depthOfFlow('f1')).toBe(0);
    // The record of the read is gone once it is reconciled; a redelivered end changes nothing.
    expect(store.db.prepare('SELECT count(*) AS n FROM snapshot_keys').get()).toEqual({ n: 0 });
    const writes = billing.writes.length;
    engine.commitCaptured('crm', { changes: [], checkpoint: 'lsn-2', snapshot: { ...second, done: true } });
    await engine.drainNow();
    expect(billing.writes.length).toBe(writes);
  });

  it('follows the delete policy: with deletes ignored, nothing is removed', async () => {
    let now = 1_000_000;
    const crm = new MemorySystem('crm', () => now, true);
    const billing = new MemorySystem('billing', () => now, true);
    const store = new Store(openStoreDatabase(':memory:'));
    const engine = new FlowEngine({
      store,
      flow: testFlow({ deletePolicy: { mode: 'ignore' } }),
      connectors: new Map([
        ['crm', crm.connector(crmEntities)],
        ['billing', billing.connector(billingEntities)],
      ]),
      clock: { now: () => now },
    });
    const change = (key: string): CapturedChange => ({ eventId: `crm:${key}`, entity: 'contacts', key, op: 'upsert', fields: { email: `${key}@x.io`, name: 'N', plan: 'p' }, sourceTime: now, origin: 'user' });
    engine.commitCaptured('crm', { changes: [change('c1'), change('c2')], checkpoint: '1' });
    await engine.drainNow();
    now += 1000;
    const mark: SnapshotMark = { id: 'snap', entities: ['contacts'], sourceTime: now, startedAt: now };
    engine.commitCaptured('crm', { changes: [{ ...change('c1'), eventId: 'crm:snap:c1' }], checkpoint: 's', snapshot: mark });
    engine.commitCaptured('crm', { changes: [], checkpoint: '2', snapshot: { ...mark, done: true } });
    await engine.drainNow();
    expect(billing.table('customers').size).toBe(2);
  });
});
