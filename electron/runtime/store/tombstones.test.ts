import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from './store.js';

let store: Store;
beforeEach(() => {
  store = Store.open(':memory:');
});
afterEach(() => store.close());

describe('TombstoneRepo', () => {
  it('returns a tombstone until it expires', () => {
    store.tombstones.put('f1', 'crm', 'contacts', 'c1', { deletedAt: 100, expiresAt: 1000, bySync: true });
    expect(store.tombstones.get('f1', 'crm', 'contacts', 'c1', 1000)).toEqual({ deletedAt: 100, expiresAt: 1000, bySync: true });
    expect(store.tombstones.get('f1', 'crm', 'contacts', 'c1', 1001)).toBeNull();
    expect(store.tombstones.get('f1', 'crm', 'contacts', 'c2', 500)).toBeNull();
    expect(store.tombstones.get('f1', 'billing', 'contacts', 'c1', 500)).toBeNull();
  });

  it('replaces an older tombstone of the same record', () => {
    store.tombstones.put('f1', 'crm', 'contacts', 'c1', { deletedAt: 100, expiresAt: 1000, bySync: true });
    store.tombstones.put('f1', 'crm', 'contacts', 'c1', { deletedAt: 200, expiresAt: 5000, bySync: false });
    expect(store.tombstones.get('f1', 'crm', 'contacts', 'c1', 2000)).toEqual({ deletedAt: 200, expiresAt: 5000, bySync: false });
    expect(store.tombstones.count('f1')).toBe(1);
  });

  it('expire() removes only expired tombstones, across flows', () => {
    store.tombstones.put('f1', 'crm', 'contacts', 'old', { deletedAt: 0, expiresAt: 100, bySync: false });
    store.tombstones.put('f2', 'crm', 'contacts', 'old', { deletedAt: 0, expiresAt: 150, bySync: false });
    store.tombstones.put('f1', 'crm', 'contacts', 'edge', { deletedAt: 0, expiresAt: 200, bySync: false });
    store.tombstones.put('f1', 'crm', 'contacts', 'young', { deletedAt: 0, expiresAt: 900, bySync: false });
    expect(store.tombstones.expire(200)).toBe(2);
    expect(store.tombstones.count('f1')).toBe(2);
    expect(store.tombstones.count('f2')).toBe(0);
    expect(store.tombstones.get('f1', 'crm', 'contacts', 'edge', 200)).not.toBeNull();
  });

  it('remove() clears one record\'s tombstone', () => {
    store.tombstones.put('f1', 'crm', 'contacts', 'c1', { deletedAt: 0, expiresAt: 900, bySync: false });
    store.tombstones.remove('f1', 'crm', 'contacts', 'c1');
    expect(store.tombstones.get('f1', 'crm', 'contacts', 'c1', 0)).toBeNull();
  });
});
