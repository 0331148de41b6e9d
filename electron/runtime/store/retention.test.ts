import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../../shared/events.js';
import { parseRetention, purgeAppliedPayloads } from './retention.js';
import { Store } from './store.js';

let store: Store;
beforeEach(() => {
  store = Store.open(':memory:');
});
afterEach(() => store.close());

const event = (k: string): ChangeEvent => ({ eventId: `e-${k}`, system: 'crm', entity: 'contacts', key: k, op: 'upsert', fields: { email: `${k}@x` }, sourceTime: 1, captureTime: 2, origin: 'user' });
const count = (table: string) => (store.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
const DAY = 86_400_000;

describe('retention of applied payloads', () => {
  it('purges applied history past the window and discards past their undo window; keeps what syncing needs', () => {
    const now = 30 * DAY;
    store.history.record('f', 's', 'a-to-b', [event('old')], now - 8 * DAY);
    store.history.record('f', 's', 'a-to-b', [event('new')], now - 6 * DAY);
    const dlq = (k: string) => store.dlq.add({ flowId: 'f', syncId: 's', direction: 'a-to-b', event: event(k), sourceSystem: 'crm', targetSystem: 'billing', errorClass: 'permanent', message: 'm', response: null, attempts: 1, firstFailedAt: 1, lastFailedAt: 1, payload: null });
    store.dlqDiscards.discard([dlq('undoable')], now - 10_000);
    store.dlqDiscards.discard([dlq('gone')], now - 60_000);
    dlq('live');
    store.shadows.put('f', 'crm', 'contacts', 'old', { fields: { email: { v: 'old@x', t: 1, by: 'self' } } });
    store.links.link('f', 's', 'old', 'b-old', 1);
    store.inbox.add('f', event('pending'), { syncId: 's', direction: 'a-to-b', notBefore: 0 });

    expect(purgeAppliedPayloads(store, now, 7 * DAY)).toBe(2);
    expect(store.history.list('f', 's', 10).map((h) => h.event.key)).toEqual(['new']);
    expect(store.db.prepare('SELECT id FROM dlq_discarded').all()).toHaveLength(1);
    expect([count('dlq'), count('shadows'), count('links'), count('inbox')]).toEqual([1, 1, 1, 1]);
  });

  it('reads a window as a whole number with a unit, and says how to write one', () => {
    expect(parseRetention('7d')).toBe(7 * DAY);
    expect(parseRetention(' 90s ')).toBe(90_000);
    expect(parseRetention('12h')).toBe(12 * 3_600_000);
    expect(() => parseRetention('7')).toThrow(/whole number with a unit: s, m, h or d/);
    expect(() => parseRetention('1.5d')).toThrow(/whole number/);
    expect(() => parseRetention('0s')).toThrow(/at least 1s/);
  });
});
