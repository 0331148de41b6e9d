import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DISCARD_UNDO_WINDOW_MS } from './dlq-discards.js';
import { HISTORY_PER_EDGE } from './edge-history.js';
import { Store } from './store.js';

let store: Store;
beforeEach(() => {
  store = Store.open(':memory:');
});
afterEach(() => store.close());

const event = (i: number) => ({ eventId: `ev${i}`, system: 'crm', entity: 'contacts', key: `c${i}`, op: 'upsert' as const, fields: { name: `N${i}` }, sourceTime: i, captureTime: i, origin: 'user' });
const add = (i: number) =>
  store.dlq.add({ flowId: 'f1', syncId: 's1', direction: 'a-to-b', event: event(i), sourceSystem: 'crm', targetSystem: 'billing', errorClass: 'validation', message: `bad ${i}`, response: 'HTTP 422', attempts: 2, firstFailedAt: 10, lastFailedAt: 20, payload: { full_name: `N${i}` }, detail: { why: i } });

describe('DlqDiscardRepo', () => {
  it('moves discarded entries aside and restores them whole, under their id, within the undo window', () => {
    const a = add(1);
    const b = add(2);
    const before = store.dlq.get(a);
    expect(store.dlqDiscards.discard([a, b, 999], 1000)).toBe(2);
    expect(store.dlq.list({}, 10, 0).total).toBe(0);
    expect(store.dlqDiscards.undo([a], 1000 + DISCARD_UNDO_WINDOW_MS - 1)).toEqual([a]);
    expect(store.dlq.get(a)).toEqual(before);
    expect(store.dlqDiscards.undo([a], 1000)).toEqual([]);
    // Past the window it is gone for good.
    expect(store.dlqDiscards.undo([b], 1000 + DISCARD_UNDO_WINDOW_MS + 1)).toEqual([]);
    expect(store.dlq.get(b)).toBeNull();
    expect(store.db.prepare('SELECT COUNT(*) AS n FROM dlq_discarded').get()).toEqual({ n: 0 });
  });
});

describe('EdgeHistoryRepo', () => {
  it('keeps the newest events per edge and direction, bounded', () => {
    const events = Array.from({ length: HISTORY_PER_EDGE + 50 }, (_, i) => event(i));
    store.history.record('f1', 's1', 'a-to-b', events.slice(0, 100), 1);
    store.history.record('f1', 's1', 'a-to-b', events.slice(100), 2);
    store.history.record('f1', 's1', 'b-to-a', [event(9999)], 3);
    const all = store.history.list('f1', 's1', 1000, 'a-to-b');
    expect(all).toHaveLength(HISTORY_PER_EDGE);
    expect(all[0]!.event.eventId).toBe(`ev${HISTORY_PER_EDGE + 49}`);
    expect(all.at(-1)!.event.eventId).toBe('ev50');
    expect(store.history.list('f1', 's1', 1000, 'b-to-a').map((h) => h.event.eventId)).toEqual(['ev9999']);
    expect(store.history.list('f1', 's1', 5).map((h) => h.direction)).toEqual(['b-to-a', 'a-to-b', 'a-to-b', 'a-to-b', 'a-to-b']);
  });
});
