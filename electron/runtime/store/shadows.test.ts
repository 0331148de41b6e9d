import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LARGE_SHADOW_VALUE_CHARS, type RecordShadow } from './shadows.js';
import { SEALED_PREFIX } from './data-cipher.js';
import { Store } from './store.js';

const key = randomBytes(32);
let dir: string;
let store: Store;
const file = () => path.join(dir, 'ws.db');
const reopen = () => {
  store.close();
  store = Store.open(file());
  store.cipher.setKey(key);
};
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-shadows-'));
  store = Store.open(file());
  store.cipher.setKey(key);
});
afterEach(() => {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Random hex: a 20 KB column value as a wide row carries it. */
const big = (n = 20_000) => randomBytes(n / 2).toString('hex');
const apartRows = () => store.db.prepare('SELECT field, value FROM shadow_values ORDER BY field').all() as { field: string; value: string }[];
const shadowOf = (fields: Record<string, unknown>, t = 1): RecordShadow => ({ fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, { v, t, by: 'self' as const }])), version: t });

describe('ShadowRepo: large values stored apart', () => {
  it('reads a shadow with large values back exactly, from the database, not only from the cache', () => {
    const body = big();
    const doc = { $json: `{"text": "${big(4_000)}", "n": 12345678901234567890.5}` };
    const shadow = shadowOf({ email: 'a@example.com', body, doc, empty: '', nul: null });
    store.transaction(() => store.shadows.put('f', 'pg', 'wide', '1', shadow));
    reopen();
    expect(store.shadows.get('f', 'pg', 'wide', '1')).toStrictEqual(shadow);
    reopen();
    store.shadows.prefetch('f', 'pg', 'wide', ['1', '2']);
    expect(store.shadows.get('f', 'pg', 'wide', '1')).toStrictEqual(shadow);
    expect(store.shadows.get('f', 'pg', 'wide', '2')).toBeNull();
    // Sealed like every customer value, in both tables.
    expect(apartRows().map((r) => r.field)).toEqual(['body', 'doc']);
    for (const r of apartRows()) expect(r.value.startsWith(SEALED_PREFIX)).toBe(true);
    expect(JSON.stringify(store.db.prepare('SELECT * FROM shadows').all())).not.toContain('example.com');
  });

  it('does not write a large value again while it stays the same, and writes it when it changes', () => {
    const body = big();
    store.transaction(() => store.shadows.put('f', 'pg', 'wide', '1', shadowOf({ name: 'a', body })));
    const [first] = apartRows();
    const prev = store.shadows.get('f', 'pg', 'wide', '1')!;
    // A change of a small field: the engine carries the same body value over.
    store.transaction(() => store.shadows.put('f', 'pg', 'wide', '1', { ...prev, fields: { ...prev.fields, name: { v: 'b', t: 2, by: 'self' } } }));
    expect(apartRows()).toEqual([first]); // same sealed text: not rewritten (a new seal has a new nonce)
    const next = big();
    store.transaction(() => store.shadows.put('f', 'pg', 'wide', '1', shadowOf({ name: 'b', body: next }, 3)));
    expect(apartRows()[0]!.value).not.toBe(first!.value);
    reopen();
    expect(store.shadows.get('f', 'pg', 'wide', '1')!.fields.body!.v).toBe(next);
  });

  it('drops the row of a value that became small or left the shadow, and of a removed shadow', () => {
    store.transaction(() => store.shadows.put('f', 'pg', 'wide', '1', shadowOf({ body: big(), note: big() })));
    expect(apartRows()).toHaveLength(2);
    store.transaction(() => store.shadows.put('f', 'pg', 'wide', '1', shadowOf({ body: 'short' })));
    expect(apartRows()).toEqual([]);
    reopen();
    expect(store.shadows.get('f', 'pg', 'wide', '1')).toStrictEqual(shadowOf({ body: 'short' }));
    store.transaction(() => store.shadows.put('f', 'pg', 'wide', '1', shadowOf({ body: big() })));
    // Not cached (evicted, or a new process): strays are found in the database.
    reopen();
    store.transaction(() => store.shadows.put('f', 'pg', 'wide', '1', shadowOf({ other: 'x' })));
    expect(apartRows()).toEqual([]);
    store.transaction(() => store.shadows.put('f', 'pg', 'wide', '1', shadowOf({ body: big() })));
    store.transaction(() => store.shadows.remove('f', 'pg', 'wide', '1'));
    expect(apartRows()).toEqual([]);
  });

  it('keeps the database and the cache in step when a transaction rolls back', () => {
    const body = big();
    store.transaction(() => store.shadows.put('f', 'pg', 'wide', '1', shadowOf({ body })));
    expect(() =>
      store.transaction(() => {
        store.shadows.put('f', 'pg', 'wide', '1', shadowOf({ body: big() }, 2));
        throw new Error('abort');
      }),
    ).toThrow('abort');
    // The cache still says `body`, and so does the database: the next put may skip it safely.
    const prev = store.shadows.get('f', 'pg', 'wide', '1')!;
    expect(prev.fields.body!.v).toBe(body);
    store.transaction(() => store.shadows.put('f', 'pg', 'wide', '1', { ...prev, fields: { ...prev.fields, n: { v: 1, t: 3, by: 'self' } } }));
    reopen();
    expect(store.shadows.get('f', 'pg', 'wide', '1')!.fields.body!.v).toBe(body);
  });

  it('keeps values below the bound inline', () => {
    store.transaction(() => store.shadows.put('f', 'pg', 'wide', '1', shadowOf({ a: 'x'.repeat(LARGE_SHADOW_VALUE_CHARS - 1) })));
    expect(apartRows()).toEqual([]);
  });
});

describe('ShadowRepo: unchanged shadows are not rewritten', () => {
  const changes = () => (store.db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;

  it('skips a put of the very shadow the store holds, and writes anything else', () => {
    const shadow = shadowOf({ email: 'a@example.com' });
    store.transaction(() => store.shadows.put('f', 'pg', 'contacts', '1', shadow));
    let n = changes();
    // What decide() hands back for a stale or tombstoned change: the shadow it was given.
    store.transaction(() => store.shadows.put('f', 'pg', 'contacts', '1', store.shadows.get('f', 'pg', 'contacts', '1')!));
    expect(changes()).toBe(n);
    // The same content in a new object is written (only the identical object is known to be stored).
    store.transaction(() => store.shadows.put('f', 'pg', 'contacts', '1', shadowOf({ email: 'a@example.com' })));
    expect(changes()).toBe(++n);

    // A put rolled back leaves the database without it: putting it again writes it.
    const next = shadowOf({ email: 'b@example.com' }, 2);
    expect(() =>
      store.transaction(() => {
        store.shadows.put('f', 'pg', 'contacts', '1', next);
        throw new Error('batch failed');
      }),
    ).toThrow('batch failed');
    n = changes();
    store.transaction(() => store.shadows.put('f', 'pg', 'contacts', '1', next));
    expect(changes()).toBe(n + 1);
    store.shadows.cache.clear();
    expect(store.shadows.get('f', 'pg', 'contacts', '1')).toStrictEqual(next);

    // Removed, then the old object put back: written again.
    store.transaction(() => store.shadows.remove('f', 'pg', 'contacts', '1'));
    store.transaction(() => store.shadows.put('f', 'pg', 'contacts', '1', next));
    store.shadows.cache.clear();
    expect(store.shadows.get('f', 'pg', 'contacts', '1')).toStrictEqual(next);
  });
});
