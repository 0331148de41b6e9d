import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../../shared/events.js';
import { DataCipher, DataKeyMissingError, SEALED_PREFIX } from './data-cipher.js';
import { Store } from './store.js';

/** Awkward values in their lossless tagged form (docs/values.md): each must come back exactly. */
const AWKWARD = {
  email: 'zoë.o\'brien+tag@exämple.com',
  big: { $dec: '12345678901234567890.123456789' },
  negZero: { $dec: '-0' },
  json: { $json: '{"a": 1, "a": 2}' },
  nan: { $pg: 'float8', text: 'NaN' },
  blob: { $blob: '00FF10' },
  emoji: '👩‍👩‍👧 \u0000 \n "quoted"',
  nested: [1, null, { deep: [true, 'x'] }],
};
const SECRET_BIT = 'zoë.o';

let store: Store;
const key = randomBytes(32);
beforeEach(() => {
  store = Store.open(':memory:');
  store.cipher.setKey(key);
});
afterEach(() => store.close());

const event = (k: string, fields: Record<string, unknown> = AWKWARD): ChangeEvent => ({ eventId: `e-${k}`, system: 'crm', entity: 'contacts', key: k, op: 'upsert', fields, sourceTime: 1, captureTime: 2, origin: 'user', version: 7 });
const rawText = (sql: string) => JSON.stringify(store.db.prepare(sql).all());

describe('customer values sealed at rest', () => {
  it('round-trips tagged values exactly through the inbox, shadows, DLQ and history, with nothing readable in the columns', () => {
    store.inbox.add('f', event('1'), { syncId: 's', direction: 'a-to-b', notBefore: 0 });
    store.inbox.reschedule(store.inbox.ready('f', 1, 10)[0]!.seq, 1, 0, `rejected ${SECRET_BIT}`, 1);
    // Read before the DLQ entry below holds the record's later changes back.
    const [row] = store.inbox.ready('f', 1, 10);
    expect(row!.event.fields).toStrictEqual(AWKWARD);
    expect(row!.lastError).toBe(`rejected ${SECRET_BIT}`);
    const shadow = { fields: Object.fromEntries(Object.entries(AWKWARD).map(([k, v]) => [k, { v, t: 1, by: 'self' as const, p: [v] }])), version: 3 };
    store.shadows.put('f', 'crm', 'contacts', '1', shadow);
    const id = store.dlq.add({ flowId: 'f', syncId: 's', direction: 'a-to-b', event: event('1'), sourceSystem: 'crm', targetSystem: 'billing', errorClass: 'validation', message: `got ${SECRET_BIT}`, response: `400 ${SECRET_BIT}`, attempts: 1, firstFailedAt: 1, lastFailedAt: 1, payload: AWKWARD, detail: { value: AWKWARD.big } });
    store.history.record('f', 's', 'a-to-b', [event('1')], 5);

    for (const t of ['inbox', 'shadows', 'dlq', 'edge_history']) expect(rawText(`SELECT * FROM ${t}`), t).not.toContain(SECRET_BIT);
    expect(rawText('SELECT state FROM shadows')).toContain(SEALED_PREFIX);

    store.shadows.cache.clear();
    expect(store.shadows.get('f', 'crm', 'contacts', '1')).toStrictEqual(shadow);
    store.shadows.cache.clear();
    store.shadows.prefetch('f', 'crm', 'contacts', ['1']);
    expect(store.shadows.get('f', 'crm', 'contacts', '1')).toStrictEqual(shadow);
    const e = store.dlq.get(id)!;
    expect(e).toMatchObject({ message: `got ${SECRET_BIT}`, response: `400 ${SECRET_BIT}`, payload: AWKWARD, detail: { value: AWKWARD.big }, event: { fields: AWKWARD } });
    expect(store.dlq.list({ text: 'ZOË' }, 10, 0).total).toBe(1);
    expect(store.dlq.list({ text: 'nobody' }, 10, 0).total).toBe(0);
    expect(store.history.list('f', 's', 10)[0]!.event.fields).toStrictEqual(AWKWARD);
  });

  it('keeps discarded DLQ entries sealed and restores them on undo', () => {
    const id = store.dlq.add({ flowId: 'f', syncId: 's', direction: 'a-to-b', event: event('1'), sourceSystem: 'crm', targetSystem: 'billing', errorClass: 'validation', message: 'm', response: null, attempts: 1, firstFailedAt: 1, lastFailedAt: 1, payload: AWKWARD });
    store.dlqDiscards.discard([id], 1000);
    expect(rawText('SELECT * FROM dlq_discarded')).not.toContain(SECRET_BIT);
    expect(store.dlqDiscards.undo([id], 2000)).toEqual([id]);
    expect(store.dlq.get(id)!.payload).toStrictEqual(AWKWARD);
  });

  it('a later change still waits behind its record\'s failed change by version (the version is kept beside the sealed event)', () => {
    store.dlq.add({ flowId: 'f', syncId: 's', direction: 'a-to-b', event: event('1'), sourceSystem: 'crm', targetSystem: 'billing', errorClass: 'permanent', message: 'm', response: null, attempts: 1, firstFailedAt: 1, lastFailedAt: 1, payload: null });
    store.inbox.add('f', { ...event('1'), eventId: 'older', version: 6 }, { syncId: 's', direction: 'a-to-b', notBefore: 0 });
    store.inbox.add('f', { ...event('1'), eventId: 'newer', version: 8 }, { syncId: 's', direction: 'a-to-b', notBefore: 0 });
    expect(store.inbox.ready('f', 1, 10).map((r) => r.event.eventId)).toEqual(['older']);
  });

  it('a sealed value moved to another record does not open', () => {
    store.shadows.put('f', 'crm', 'contacts', '1', { fields: { email: { v: 'a@x', t: 1, by: 'self' } } });
    store.db.prepare("INSERT INTO shadows (flow_id, system, entity, key, state) SELECT flow_id, system, entity, '2', state FROM shadows WHERE key = '1'").run();
    expect(() => store.shadows.get('f', 'crm', 'contacts', '2')).toThrow(/could not be opened: it was sealed with another data key, or changed on disk/);
  });

  it('says what is missing when sealed data is read without the key, or with another one', () => {
    store.shadows.put('f', 'crm', 'contacts', '1', { fields: {} });
    const state = (store.db.prepare('SELECT state FROM shadows').get() as { state: string }).state;
    expect(() => new DataCipher().open(state, 'x')).toThrow(DataKeyMissingError);
    const other = new DataCipher();
    other.setKey(randomBytes(32));
    expect(() => other.open(state, 'shadows\u0000f\u0000crm\u0000contacts\u00001')).toThrow(/another data key/);
    expect(() => other.setKey(randomBytes(16))).toThrow(/32 bytes/);
  });

  it('reads plain values written before the workspace had a key', () => {
    const plain = Store.open(':memory:');
    try {
      plain.shadows.put('f', 'crm', 'contacts', '1', { fields: { email: { v: 'a@x', t: 1, by: 'self' } } });
      expect(plain.hasSealedData()).toBe(false);
      plain.cipher.setKey(key);
      plain.shadows.cache.clear();
      expect(plain.shadows.get('f', 'crm', 'contacts', '1')!.fields.email!.v).toBe('a@x');
      plain.shadows.put('f', 'crm', 'contacts', '1', { fields: {} });
      expect(plain.hasSealedData()).toBe(true);
    } finally {
      plain.close();
    }
  });
});
