import { describe, expect, it } from 'vitest';
import { crmBillingEngine } from './test-support/crm-billing-engine.js';
import { replayOn } from './test-support/engine-operations.js';

/**
 * Per-record order across failures: a record's change that failed for good (DLQ) holds the record's
 * later changes in the inbox, the DLQ entry says how many wait, and replaying or discarding it
 * releases them in their order. Changes carry only what changed (like an UPDATE that leaves an
 * unchanged TOASTed column out), so a later change applied over a missing one would leave a stale value.
 */
function setup() {
  const { engine, store, crm, billing } = crmBillingEngine({ step: 5 });
  let delivered = 0;
  const capture = () => {
    const changes = crm.changesSince(delivered, 1000);
    delivered += changes.length;
    if (changes.length) engine.commitCaptured('crm', { changes, checkpoint: String(delivered) });
  };
  const target = () => [...billing.table('customers').values()].map((r) => ({ ...r }));
  return { crm, billing, store, engine, capture, target };
}

describe('per-record order across failures', () => {
  it('holds later changes behind a failed one, counts them, and replays them in order after the fix', async () => {
    const { crm, billing, store, engine, capture, target } = setup();
    crm.userUpsert('contacts', 'c1', { email: 'ann@x.io', name: 'Ann', plan: 'free' });
    crm.userUpsert('contacts', 'c2', { email: 'bob@x.io', name: 'Bob', plan: 'free' });
    capture();
    await engine.drainNow();
    billing.reject = { field: 'full_name', value: 'Ann B' };
    crm.userPatch('contacts', 'c1', { name: 'Ann B' }); // rejected by the target
    crm.userPatch('contacts', 'c1', { plan: 'pro' });
    crm.userPatch('contacts', 'c2', { plan: 'pro' }); // another record: not held
    crm.userPatch('contacts', 'c1', { plan: 'team' });
    crm.userUpsert('contacts', 'c1', {}); // a change that carries everything
    capture();
    await engine.drainNow();

    const [entry, ...more] = store.dlq.select({ filter: { flowId: 'f1' } });
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ key: 'c1', errorClass: 'validation', waitingBehind: 3 });
    expect(store.dlq.list({ flowId: 'f1' }, 10, 0).entries[0]).toMatchObject({ waitingBehind: 3 });
    expect(store.inbox.held('f1')).toBe(3);
    expect(target()).toEqual([
      { contact_email: 'ann@x.io', full_name: 'Ann', plan_code: 'free' },
      { contact_email: 'bob@x.io', full_name: 'Bob', plan_code: 'pro' },
    ]);

    // More changes of the record keep queueing behind it; nothing is retried in a loop meanwhile.
    const writes = billing.writes.length;
    await engine.drainNow();
    expect(billing.writes.length).toBe(writes);

    billing.reject = null; // the user fixes the target's rule
    expect(replayOn(engine, { ids: [entry!.id] })).toBe(1);
    await engine.drainNow();
    expect(store.inbox.pending('f1')).toBe(0);
    expect(store.dlq.depthOfFlow('f1')).toBe(0);
    expect(target()).toEqual([
      { contact_email: 'ann@x.io', full_name: 'Ann B', plan_code: 'team' },
      { contact_email: 'bob@x.io', full_name: 'Bob', plan_code: 'pro' },
    ]);
    // The replayed change went first, then the held ones in their order (the last, carrying the
    // whole record, found nothing left to change).
    const c1 = billing.writes.filter((w) => w.key === billing.writes[0]!.key).slice(1);
    expect(c1.map((w) => (w.op.kind === 'upsert' ? w.op.fields : null))).toEqual([{ full_name: 'Ann B' }, { plan_code: 'pro' }, { plan_code: 'team' }]);
  });

  it('a change older than the failed one by the source version (delivered late) is not held', async () => {
    const { crm, billing, store, engine, capture, target } = setup();
    crm.userUpsert('contacts', 'c1', { email: 'ann@x.io', name: 'Ann', plan: 'free' });
    capture();
    await engine.drainNow();
    billing.reject = { field: 'full_name', value: 'Bad' };
    const whole = (version: number, name: string, plan: string) => ({
      eventId: `hook:${version}`,
      entity: 'contacts',
      key: 'c1',
      op: 'upsert' as const,
      fields: { email: 'ann@x.io', name, plan },
      sourceTime: 2_000_000 + version,
      origin: 'user',
      version,
    });
    engine.commitCaptured('crm', { changes: [whole(3, 'Bad', 'pro')], checkpoint: null });
    await engine.drainNow();
    // Version 2 arrives after 3 failed (a webhook sender reordered them), then version 4.
    engine.commitCaptured('crm', { changes: [whole(2, 'Ann', 'team'), whole(4, 'Ann C', 'pro')], checkpoint: null });
    await engine.drainNow();
    const [entry] = store.dlq.select({ filter: { flowId: 'f1' } });
    expect(entry).toMatchObject({ waitingBehind: 1 });
    expect(target()).toEqual([{ contact_email: 'ann@x.io', full_name: 'Ann', plan_code: 'team' }]);
    billing.reject = null;
    replayOn(engine, { ids: [entry!.id] });
    await engine.drainNow();
    expect(target()).toEqual([{ contact_email: 'ann@x.io', full_name: 'Ann C', plan_code: 'pro' }]);
  });

  it('a discard releases the held changes in order; a conflict holds nothing', async () => {
    const { crm, billing, store, engine, capture, target } = setup();
    crm.userUpsert('contacts', 'c1', { email: 'ann@x.io', name: 'Ann', plan: 'free' });
    capture();
    await engine.drainNow();
    billing.reject = { field: 'full_name', value: 'Bad' };
    crm.userPatch('contacts', 'c1', { name: 'Bad' });
    crm.userPatch('contacts', 'c1', { plan: 'pro' });
    crm.userPatch('contacts', 'c1', { plan: 'team' });
    capture();
    await engine.drainNow();
    const [entry] = store.dlq.select({ filter: { flowId: 'f1' } });
    expect(entry).toMatchObject({ waitingBehind: 2 });
    expect(target()).toEqual([{ contact_email: 'ann@x.io', full_name: 'Ann', plan_code: 'free' }]);

    // The user gives the change up: the record goes on without it, and the rest applies in order.
    store.dlq.remove(entry!.id);
    await engine.drainNow();
    expect(target()).toEqual([{ contact_email: 'ann@x.io', full_name: 'Ann', plan_code: 'team' }]);
    expect(store.inbox.pending('f1')).toBe(0);

    // A conflict in the review queue does not hold the record: its change was applied but for the contested fields.
    store.dlq.add({ ...entry!, event: entry!.event as never, errorClass: 'conflict', detail: {}, inboxSeq: undefined });
    crm.userPatch('contacts', 'c1', { plan: 'pro' });
    capture();
    await engine.drainNow();
    expect(target()).toEqual([{ contact_email: 'ann@x.io', full_name: 'Ann', plan_code: 'pro' }]);
    expect(store.dlq.select({ filter: { flowId: 'f1' } })[0]).toMatchObject({ errorClass: 'conflict', waitingBehind: 0 });
  });
});
