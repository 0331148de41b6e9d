import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from './store.js';

let store: Store;
beforeEach(() => {
  store = Store.open(':memory:');
});
afterEach(() => store.close());

describe('LinkRepo', () => {
  it('finds each side from the other', () => {
    store.links.link('f1', 's1', 'c1', 'k1', 1);
    expect(store.links.other('f1', 's1', 'a', 'c1')).toBe('k1');
    expect(store.links.other('f1', 's1', 'b', 'k1')).toBe('c1');
    expect(store.links.other('f1', 's1', 'a', 'k1')).toBeNull();
    expect(store.links.other('f1', 's2', 'a', 'c1')).toBeNull();
    expect(store.links.other('f2', 's1', 'a', 'c1')).toBeNull();
  });

  it('replaces the old link of side a', () => {
    store.links.link('f1', 's1', 'c1', 'k1', 1);
    store.links.link('f1', 's1', 'c1', 'k2', 2);
    expect(store.links.other('f1', 's1', 'a', 'c1')).toBe('k2');
    expect(store.links.other('f1', 's1', 'b', 'k1')).toBeNull();
  });

  it('replaces the old link of side b', () => {
    store.links.link('f1', 's1', 'c1', 'k1', 1);
    store.links.link('f1', 's1', 'c2', 'k1', 2);
    expect(store.links.other('f1', 's1', 'b', 'k1')).toBe('c2');
    expect(store.links.other('f1', 's1', 'a', 'c1')).toBeNull();
  });

  it('replaces the links of both sides at once', () => {
    store.links.link('f1', 's1', 'c1', 'k1', 1);
    store.links.link('f1', 's1', 'c2', 'k2', 1);
    store.links.link('f1', 's1', 'c1', 'k2', 2);
    expect(store.links.other('f1', 's1', 'a', 'c1')).toBe('k2');
    expect(store.links.other('f1', 's1', 'a', 'c2')).toBeNull();
    expect(store.links.other('f1', 's1', 'b', 'k1')).toBeNull();
  });

  it('unlinks by either side', () => {
    store.links.link('f1', 's1', 'c1', 'k1', 1);
    store.links.link('f1', 's1', 'c2', 'k2', 1);
    store.links.unlink('f1', 's1', 'a', 'c1');
    store.links.unlink('f1', 's1', 'b', 'k2');
    expect(store.links.other('f1', 's1', 'b', 'k1')).toBeNull();
    expect(store.links.other('f1', 's1', 'a', 'c2')).toBeNull();
  });
});

describe('prefetching links and shadows for a batch', () => {
  it('loads found and absent keys with one query and answers from memory afterwards', () => {
    store.links.link('f1', 's1', 'c1', 'k1', 1);
    store.links.link('f1', 's1', 'c2', 'k2', 1);
    // A fresh store has nothing cached: read the database behind it.
    const fresh = new Store(store.db);
    fresh.links.prefetch('f1', 's1', 'a', ['c1', 'c2', 'c3']);
    fresh.links.prefetch('f1', 's1', 'b', ['k2', 'k9']);
    // Rows removed behind the cache's back: the prefetched answers come from memory.
    store.db.prepare('DELETE FROM links').run();
    expect(fresh.links.other('f1', 's1', 'a', 'c1')).toBe('k1');
    expect(fresh.links.other('f1', 's1', 'a', 'c2')).toBe('k2');
    expect(fresh.links.other('f1', 's1', 'a', 'c3')).toBeNull();
    expect(fresh.links.other('f1', 's1', 'b', 'k2')).toBe('c2');
    expect(fresh.links.other('f1', 's1', 'b', 'k9')).toBeNull();
  });

  it('never lets a prefetch overwrite what a transaction wrote, and drops rolled-back writes', () => {
    store.transaction(() => {
      store.links.link('f1', 's1', 'c1', 'k1', 1);
      store.links.prefetch('f1', 's1', 'a', ['c1']);
      expect(store.links.other('f1', 's1', 'a', 'c1')).toBe('k1');
    });
    expect(store.links.other('f1', 's1', 'a', 'c1')).toBe('k1');
    expect(() =>
      store.transaction(() => {
        store.links.link('f1', 's1', 'c2', 'k2', 1);
        throw new Error('rollback');
      }),
    ).toThrow('rollback');
    store.links.prefetch('f1', 's1', 'a', ['c2']);
    expect(store.links.other('f1', 's1', 'a', 'c2')).toBeNull();
  });

  it('prefetches shadows, absent ones included', () => {
    const shadow = { fields: { email: { v: 'a@example.com', t: 1, by: 'self' as const } } };
    store.shadows.put('f1', 'crm', 'contacts', 'c1', shadow);
    const fresh = new Store(store.db);
    fresh.shadows.prefetch('f1', 'crm', 'contacts', ['c1', 'c2']);
    store.db.prepare('DELETE FROM shadows').run();
    expect(fresh.shadows.get('f1', 'crm', 'contacts', 'c1')).toEqual(shadow);
    expect(fresh.shadows.get('f1', 'crm', 'contacts', 'c2')).toBeNull();
    expect(fresh.shadows.get('f1', 'crm', 'other', 'c1')).toBeNull();
  });
});
