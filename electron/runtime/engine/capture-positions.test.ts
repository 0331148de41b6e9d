import { describe, expect, it } from 'vitest';
import { crmBillingEngine } from './test-support/crm-billing-engine.js';
import type { CapturedChange } from '../connectors/types.js';

/**
 * Changes that carry a strictly growing position (Postgres: commit LSN and index) are deduplicated
 * by the last position committed for their source, one row per source, instead of a dedupe key per
 * change. What is checked: what reaches the target system, and what the store keeps.
 */
function setup() {
  const { engine, store, billing } = crmBillingEngine();
  const dedupeKeys = () => (store.db.prepare('SELECT COUNT(*) FROM dedupe_keys').pluck().get() as number);
  /** Emails the target holds, one entry per record written there. */
  const created = () => billing.writes.filter((w) => w.op.kind === 'upsert').map((w) => (w.op as { fields: Record<string, unknown> }).fields.contact_email);
  return { engine, store, billing, dedupeKeys, created };
}

/** A change of transaction `lsn` (16 hex digits), the `index`th in it. */
function change(lsn: string, index: number, p: Partial<CapturedChange> = {}): CapturedChange {
  const id = `${lsn}-${index}`;
  return {
    eventId: `pg:crm:${lsn}:${index}`,
    position: `${lsn}:${index.toString(16).padStart(8, '0')}`,
    entity: 'contacts',
    key: id,
    op: 'upsert',
    fields: { id, email: `${id}@example.com`, name: `Contact ${id}` },
    sourceTime: 999_000,
    origin: 'user',
    ...p,
  };
}

const range = (lsn: string, from: number, to: number) => Array.from({ length: to - from }, (_, i) => change(lsn, from + i));

describe('dedupe by source position', () => {
  it('takes a transaction sent again from its start only from where its committed part ended, keeping no key per change', async () => {
    const { engine, store, dedupeKeys, created } = setup();
    const L1 = '0000000000000200';
    const L2 = '0000000000000300';
    // The first part of a large transaction, committed without moving the checkpoint past it.
    expect(engine.commitCaptured('crm', { changes: range(L1, 0, 3), checkpoint: '0/100' })).toMatchObject({ stored: 3, duplicates: 0 });
    // A restart: the server sends the whole transaction again, then the next one.
    expect(engine.commitCaptured('crm', { changes: [...range(L1, 0, 6), change(L2, 0)], checkpoint: '0/328' })).toMatchObject({ stored: 4, duplicates: 3 });
    expect(engine.commitCaptured('crm', { changes: [change(L2, 0)], checkpoint: '0/328' })).toMatchObject({ stored: 0, duplicates: 1 });
    expect(dedupeKeys()).toBe(0);
    expect(store.capturePositions.get(engine.flowId, 'crm')).toBe(`${L2}:00000000`);
    await engine.drainNow();
    expect(created().sort()).toEqual([...range(L1, 0, 6), change(L2, 0)].map((c) => c.fields.email).sort());
  });

  it('does not move the position when the capture commit fails, so the same changes are taken when sent again', async () => {
    const { engine, store, created } = setup();
    const L1 = '0000000000000200';
    // A value the inbox cannot encode fails the commit after the first change was added.
    const bad = change(L1, 1, { fields: { id: 'x', email: 'bad@example.com', name: 10n } });
    expect(() => engine.commitCaptured('crm', { changes: [change(L1, 0), bad], checkpoint: '0/228' })).toThrow(/BigInt/);
    expect(store.capturePositions.get(engine.flowId, 'crm')).toBeNull();
    expect(store.checkpoints.get(engine.flowId, 'crm')).toBeNull();
    expect(engine.commitCaptured('crm', { changes: range(L1, 0, 2), checkpoint: '0/228' })).toMatchObject({ stored: 2, duplicates: 0 });
    await engine.drainNow();
    expect(created().sort()).toEqual(range(L1, 0, 2).map((c) => c.fields.email).sort());
  });

  it('starts over when the source says its positions do (a new replication slot, perhaps on another server)', async () => {
    const { engine, created } = setup();
    engine.commitCaptured('crm', { changes: [change('00000000000A0000', 0)], checkpoint: 'A/28' });
    expect(engine.commitCaptured('crm', { changes: [change('0000000000000200', 0)], checkpoint: '0/228' })).toMatchObject({ stored: 0, duplicates: 1 });
    engine.commitCaptured('crm', { changes: [], checkpoint: '0/300', positionsRestart: true });
    expect(engine.commitCaptured('crm', { changes: [change('0000000000000400', 0)], checkpoint: '0/428' })).toMatchObject({ stored: 1, duplicates: 0 });
    await engine.drainNow();
    expect(created()).toContain(change('0000000000000400', 0).fields.email);
  });

  it('keeps deduplicating changes without a position (a snapshot read) by event id', () => {
    const { engine, dedupeKeys } = setup();
    const snap = { ...change('0000000000000200', 0, { eventId: 'pg:crm:snap:0/200:contacts:1' }), position: undefined };
    expect(engine.commitCaptured('crm', { changes: [snap], checkpoint: 'snapshot:0/200' })).toMatchObject({ stored: 1 });
    expect(engine.commitCaptured('crm', { changes: [snap], checkpoint: 'snapshot:0/200' })).toMatchObject({ stored: 0, duplicates: 1 });
    expect(dedupeKeys()).toBe(1);
  });
});
