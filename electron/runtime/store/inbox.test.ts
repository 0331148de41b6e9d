import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DirectionKey } from '../../../shared/api/contract.js';
import type { ChangeEvent } from '../../../shared/events.js';
import { Store } from './store.js';

let store: Store;
beforeEach(() => {
  store = Store.open(':memory:');
});
afterEach(() => store.close());

const NOW = 1_000_000;
let n = 0;
function event(key: string, p: Partial<ChangeEvent> = {}): ChangeEvent {
  n++;
  return { eventId: `ev-${n}`, system: 'crm', entity: 'contacts', key, op: 'upsert', fields: { name: `v${n}` }, sourceTime: NOW - 10, captureTime: NOW - 5, origin: 'user', ...p };
}

function add(key: string, o: { syncId?: string; direction?: DirectionKey; notBefore?: number; flowId?: string; replay?: boolean } = {}): ChangeEvent {
  const e = event(key);
  store.inbox.add(o.flowId ?? 'f1', e, { syncId: o.syncId ?? 's1', direction: o.direction ?? 'a-to-b', notBefore: o.notBefore ?? NOW }, o.replay);
  return e;
}

const ids = (now: number, limit = 100) => store.inbox.ready('f1', now, limit).map((r) => r.event.eventId);

describe('InboxRepo', () => {
  it('reads ready rows through an index in seq order, never sorting the whole backlog', () => {
    const plan = store.inbox.explainReady();
    expect(plan.some((d) => d.includes('inbox_flow_seq'))).toBe(true);
    expect(plan.filter((d) => d.includes('TEMP B-TREE'))).toEqual([]);
  });

  it('removes settled rows in one call, leaving the others', () => {
    const a = add('c1');
    const b = add('c2');
    const c = add('c3');
    const d = add('c4');
    const rows = store.inbox.ready('f1', NOW, 10);
    store.inbox.removeMany([rows[0]!.seq, rows[2]!.seq]);
    expect(ids(NOW)).toEqual([b.eventId, d.eventId]);
    store.inbox.removeMany([rows[3]!.seq]);
    store.inbox.removeMany([]);
    expect(ids(NOW)).toEqual([b.eventId]);
    expect([a, c].map((e) => e.eventId)).not.toContain(ids(NOW)[0]);
  });

  it('round-trips the event and its route', () => {
    const e = event('c1', { op: 'delete', fields: { id: 'c1', nested: { a: [1, null] } }, version: 7, origin: 'synccanvas:f1' });
    store.inbox.add('f1', e, { syncId: 's1', direction: 'b-to-a', notBefore: NOW }, true);
    const [row] = store.inbox.ready('f1', NOW, 10);
    expect(row).toMatchObject({ flowId: 'f1', syncId: 's1', direction: 'b-to-a', attempts: 0, notBefore: NOW, lastError: null, firstFailedAt: null, replay: true });
    expect(row!.event).toEqual(e);
    const plain = add('c2');
    expect(store.inbox.ready('f1', NOW, 10)[1]!.event).toEqual(plain);
    expect('version' in store.inbox.ready('f1', NOW, 10)[1]!.event).toBe(false);
  });

  it('gives ready rows in arrival order, up to the limit, for this flow only', () => {
    const a = add('c1');
    const b = add('c2');
    add('c3', { notBefore: NOW + 1 });
    const c = add('c4');
    add('c5', { flowId: 'other' });
    expect(ids(NOW)).toEqual([a.eventId, b.eventId, c.eventId]);
    expect(ids(NOW, 2)).toEqual([a.eventId, b.eventId]);
    expect(ids(NOW + 1)).toHaveLength(4);
  });

  it('holds a row back while an earlier row of the same record on the same route waits for a retry', () => {
    const first = add('c1');
    const second = add('c1');
    const otherKey = add('c2');
    const otherDirection = add('c1', { direction: 'b-to-a' });
    const otherSync = add('c1', { syncId: 's2' });
    const [firstRow] = store.inbox.ready('f1', NOW, 1);
    store.inbox.reschedule(firstRow!.seq, 1, NOW + 5000, 'timeout', NOW);

    expect(ids(NOW)).toEqual([otherKey.eventId, otherDirection.eventId, otherSync.eventId]);
    expect(ids(NOW + 4999)).not.toContain(second.eventId);
    expect(ids(NOW + 5000)).toEqual([first.eventId, second.eventId, otherKey.eventId, otherDirection.eventId, otherSync.eventId]);
  });

  it('does not hold back an earlier row because a later one of the same record is scheduled later', () => {
    const early = add('c1');
    add('c1', { notBefore: NOW + 60_000 });
    expect(ids(NOW)).toEqual([early.eventId]);
  });

  it('records attempts and errors on reschedule, keeping the first failure time', () => {
    add('c1');
    const seq = store.inbox.ready('f1', NOW, 1)[0]!.seq;
    store.inbox.reschedule(seq, 1, NOW + 100, 'first', NOW);
    store.inbox.reschedule(seq, 2, NOW + 300, 'second', NOW + 100);
    expect(store.inbox.ready('f1', NOW + 300, 1)[0]).toMatchObject({ attempts: 2, notBefore: NOW + 300, lastError: 'second', firstFailedAt: NOW });
  });

  it('tells the next wake-up time and the pending counts', () => {
    add('c1');
    add('c2', { notBefore: NOW + 700 });
    add('c3', { notBefore: NOW + 300, direction: 'b-to-a' });
    expect(store.inbox.nextWake('f1', NOW)).toBe(NOW + 300);
    expect(store.inbox.nextWake('f1', NOW + 700)).toBeNull();
    expect(store.inbox.pending('f1')).toBe(3);
    expect(store.inbox.pendingFor('f1', 's1', 'a-to-b')).toBe(2);
    store.inbox.remove(store.inbox.ready('f1', NOW, 1)[0]!.seq);
    expect(store.inbox.pending('f1')).toBe(2);
  });

  it('markSeen accepts an event id once per flow', () => {
    expect(store.inbox.markSeen('f1', 'lsn-1', NOW)).toBe(true);
    expect(store.inbox.markSeen('f1', 'lsn-1', NOW + 1)).toBe(false);
    expect(store.inbox.markSeen('f2', 'lsn-1', NOW)).toBe(true);
    expect(store.inbox.markSeen('f1', 'lsn-2', NOW)).toBe(true);
  });

  it('forgets seen ids older than the cutoff', () => {
    store.inbox.markSeen('f1', 'old', NOW - 1000);
    store.inbox.markSeen('f1', 'new', NOW);
    expect(store.inbox.pruneSeen(NOW - 500)).toBe(1);
    expect(store.inbox.markSeen('f1', 'old', NOW)).toBe(true);
    expect(store.inbox.markSeen('f1', 'new', NOW)).toBe(false);
  });

  it('a rolled-back transaction leaves neither the seen mark nor the row', () => {
    expect(() =>
      store.transaction(() => {
        store.inbox.markSeen('f1', 'ev-x', NOW);
        store.inbox.add('f1', event('c1', { eventId: 'ev-x' }), { syncId: 's1', direction: 'a-to-b', notBefore: NOW });
        throw new Error('crash before commit');
      }),
    ).toThrow('crash before commit');
    expect(store.inbox.pending('f1')).toBe(0);
    expect(store.inbox.markSeen('f1', 'ev-x', NOW)).toBe(true);
  });

  it('clearFlow removes the flow\'s rows and seen ids only', () => {
    add('c1');
    add('c1', { flowId: 'f2' });
    store.inbox.markSeen('f1', 'x', NOW);
    store.inbox.clearFlow('f1');
    expect(store.inbox.pending('f1')).toBe(0);
    expect(store.inbox.pending('f2')).toBe(1);
    expect(store.inbox.markSeen('f1', 'x', NOW)).toBe(true);
  });

  it('reads back the fields it sealed without opening them, and never another row\'s under a reused seq', () => {
    store.cipher.setKey(randomBytes(32));
    const big = { body: randomBytes(10_000).toString('hex'), n: { $dec: '12345678901234567890.5' }, j: { $json: 'null' }, nul: null };
    const e = { ...event('c1'), fields: big };
    store.inbox.add('f1', e, { syncId: 's1', direction: 'a-to-b', notBefore: NOW });
    const [row] = store.inbox.ready('f1', NOW, 10);
    expect(row!.event).toStrictEqual(e);
    store.inbox.remove(row!.seq);
    // An insert rolled back: SQLite hands its seq out again, here to a row this repo did not add.
    expect(() =>
      store.transaction(() => {
        store.inbox.add('f1', event('c2'), { syncId: 's1', direction: 'a-to-b', notBefore: NOW });
        throw new Error('rolled back');
      }),
    ).toThrow('rolled back');
    const other = { ...event('c3'), fields: { name: 'the row that took the seq' } };
    const { lastInsertRowid } = store.db
      .prepare(`INSERT INTO inbox (flow_id, sync_id, direction, event_id, system, entity, key, op, fields, source_time, capture_time, origin, not_before) VALUES ('f1', 's1', 'a-to-b', ?, 'crm', 'contacts', 'c3', 'upsert', ?, ?, ?, 'user', ?)`)
      .run(other.eventId, store.cipher.seal(JSON.stringify(other.fields), 'inbox.fields'), other.sourceTime, other.captureTime, NOW);
    const [taken] = store.inbox.ready('f1', NOW, 10);
    expect(taken!.seq).toBe(Number(lastInsertRowid));
    expect(taken!.event.fields).toStrictEqual(other.fields);
  });
});
