import { createCipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../../shared/events.js';
import { DataCipher, DataKeyMissingError, GCM_SEALED_PREFIX, SEALED_PREFIX } from './data-cipher.js';
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

describe('the sc2 construction (docs/security.md)', () => {
  const ctx = 'shadows\u0000f\u0000crm\u0000contacts\u00001';
  const keyed = (k: Buffer = key): DataCipher => {
    const c = new DataCipher();
    c.setKey(k);
    return c;
  };
  const rawOf = (sealed: string): Buffer => Buffer.from(sealed.slice(SEALED_PREFIX.length), 'base64');
  const stored = (raw: Buffer): string => SEALED_PREFIX + raw.toString('base64');

  /** The construction as docs/security.md states it, with Node's stock HMAC and AES-CTR. */
  function openByTheBook(sealed: string, context: string, k: Buffer = key): string {
    const okm = Buffer.from(hkdfSync('sha256', k, Buffer.alloc(0), 'synccanvas data-cipher sc2: aes-256-ctr key (32 bytes) then hmac-sha256 key (32 bytes)', 64));
    const raw = rawOf(sealed);
    const body = raw.subarray(0, raw.length - 16);
    const c = Buffer.from(context, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(c.length);
    const tag = createHmac('sha256', okm.subarray(32)).update(body).update(c).update(len).digest().subarray(0, 16);
    expect(tag.equals(raw.subarray(raw.length - 16))).toBe(true);
    const offset = body.readUInt32BE(12);
    const stream = createCipheriv('aes-256-ctr', okm.subarray(0, 32), Buffer.concat([body.subarray(0, 12), Buffer.alloc(4)])).update(Buffer.alloc(offset + body.length - 16));
    const pt = Buffer.from(body.subarray(16));
    for (let i = 0; i < pt.length; i++) pt[i]! ^= stream[offset + i]!;
    return pt.toString('utf8');
  }

  it('seals as documented: AES-256-CTR at a recorded offset of a shared keystream, HMAC-SHA-256 over nonce, offset, ciphertext and context', () => {
    const c = keyed();
    const values = ['{"a":1}', JSON.stringify(AWKWARD), 'é'.repeat(5000), '', 'x'.repeat(70_000), '👩‍👩‍👧'.repeat(100)];
    for (const v of values) {
      const sealed = c.seal(v, ctx);
      expect(sealed.startsWith(SEALED_PREFIX)).toBe(true);
      expect(openByTheBook(sealed, ctx)).toBe(v);
      expect(c.open(sealed, ctx)).toBe(v);
      // Another process with the same key (nothing of this one's keystream in memory) reads it too.
      expect(keyed().open(sealed, ctx)).toBe(v);
    }
  });

  it('never hands out the same keystream bytes twice, across keystream refills', () => {
    const c = keyed();
    const used = new Map<string, [number, number][]>();
    for (let i = 0; i < 3000; i++) {
      const v = `{"n":${i},"pad":"${'z'.repeat(i % 97)}"}`;
      const raw = rawOf(c.seal(v, ctx));
      const nonce = raw.subarray(0, 12).toString('hex');
      const from = raw.readUInt32BE(12);
      let ranges = used.get(nonce);
      if (!ranges) used.set(nonce, (ranges = []));
      ranges.push([from, from + raw.length - 32]);
    }
    for (const [nonce, ranges] of used) {
      ranges.sort((x, y) => x[0] - y[0]);
      for (let i = 1; i < ranges.length; i++) if (ranges[i]![0] < ranges[i - 1]![1]) expect.fail(`keystream ${nonce}: ${ranges[i - 1]!.join('-')} and ${ranges[i]!.join('-')} overlap`);
    }
    // 3,000 values of ~70 bytes fill more than three 64 KiB keystreams.
    expect(used.size).toBeGreaterThan(3);
  });

  it('refuses a value that was changed anywhere, moved to another context, or cut short', () => {
    const c = keyed();
    const sealed = c.seal(JSON.stringify(AWKWARD), ctx);
    const raw = rawOf(sealed);
    for (const at of [0, 11, 12, 15, 16, 40, raw.length - 17, raw.length - 16, raw.length - 1]) {
      const bad = Buffer.from(raw);
      bad[at]! ^= 0x01;
      expect(() => c.open(stored(bad), ctx), `byte ${at}`).toThrow(/could not be opened: it was sealed with another data key, or changed on disk/);
      expect(() => keyed().open(stored(bad), ctx), `byte ${at}`).toThrow(/could not be opened/);
    }
    expect(() => c.open(sealed, `${ctx}2`)).toThrow(/could not be opened/);
    expect(() => c.open(sealed, ctx.slice(0, -1))).toThrow(/could not be opened/);
    expect(() => c.open(stored(raw.subarray(0, 31)), ctx)).toThrow(/is truncated/);
    expect(() => c.open(stored(Buffer.concat([raw.subarray(0, 16), raw.subarray(17)])), ctx)).toThrow(/could not be opened/);
    expect(() => keyed(randomBytes(32)).open(sealed, ctx)).toThrow(/another data key/);
  });

  it('a new key starts a new keystream: nothing sealed after it opens under the old key', () => {
    const c = keyed();
    c.seal('warm the keystream up', ctx);
    const next = randomBytes(32);
    c.setKey(next);
    const sealed = c.seal('{"after":true}', ctx);
    expect(keyed(next).open(sealed, ctx)).toBe('{"after":true}');
    expect(() => keyed(key).open(sealed, ctx)).toThrow(/another data key/);
    expect(openByTheBook(sealed, ctx, next)).toBe('{"after":true}');
  });

  it('still opens values sealed with AES-256-GCM (sc1:), and refuses them changed or moved', () => {
    const gcm = (plain: string, context: string): string => {
      const iv = randomBytes(12);
      const g = createCipheriv('aes-256-gcm', key, iv);
      g.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([g.update(plain, 'utf8'), g.final()]);
      return GCM_SEALED_PREFIX + Buffer.concat([iv, g.getAuthTag(), body]).toString('base64');
    };
    const old = gcm(JSON.stringify(AWKWARD), ctx);
    expect(JSON.parse(keyed().open(old, ctx))).toStrictEqual(AWKWARD);
    expect(() => keyed().open(old, `${ctx}2`)).toThrow(/could not be opened/);
    const raw = Buffer.from(old.slice(4), 'base64');
    raw[raw.length - 1]! ^= 1;
    expect(() => keyed().open(GCM_SEALED_PREFIX + raw.toString('base64'), ctx)).toThrow(/could not be opened/);
    expect(() => new DataCipher().open(old, ctx)).toThrow(DataKeyMissingError);

    // A workspace whose only sealed values are sc1 still counts as holding sealed data, and its
    // shadows read back.
    const shadow = { fields: { email: { v: 'a@x', t: 1, by: 'self' as const } } };
    store.db.prepare('INSERT INTO shadows (flow_id, system, entity, key, state) VALUES (?, ?, ?, ?, ?)').run('f', 'crm', 'contacts', '1', gcm(JSON.stringify(shadow), ctx));
    expect(store.hasSealedData()).toBe(true);
    expect(store.shadows.get('f', 'crm', 'contacts', '1')).toStrictEqual(shadow);
  });
});
