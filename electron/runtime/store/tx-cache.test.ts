import { describe, expect, it } from 'vitest';
import { TxCache } from './tx-cache.js';

describe('TxCache', () => {
  it('answers undefined for unknown keys and null for keys known absent', () => {
    const c = new TxCache<string>(10).scope('f', 's', 'e');
    expect(c.get('a')).toBeUndefined();
    c.fill('a', null);
    expect(c.get('a')).toBeNull();
    c.fill('b', 'B');
    expect(c.get('b')).toBe('B');
  });

  it('keeps writes of a transaction out of the cache until it commits, and drops them on abort', () => {
    const cache = new TxCache<string>(10);
    const c = cache.scope('f', 's', 'e');
    const other = cache.scope('f', 's', 'other');
    c.fill('k', 'before');
    cache.begin();
    c.set('k', 'during');
    c.set('gone', null);
    other.set('k', 'elsewhere');
    expect(c.get('k')).toBe('during');
    expect(c.get('gone')).toBeNull();
    expect(other.get('k')).toBe('elsewhere');
    cache.abort();
    expect(c.get('k')).toBe('before');
    expect(c.get('gone')).toBeUndefined();
    expect(other.get('k')).toBeUndefined();
    cache.begin();
    c.set('k', 'after');
    cache.commit();
    expect(c.get('k')).toBe('after');
  });

  it('does not let a read fill overwrite a staged write', () => {
    const cache = new TxCache<string>(10);
    const c = cache.scope('f', 's', 'e');
    cache.begin();
    c.set('k', 'written');
    c.fill('k', 'read-from-db');
    cache.commit();
    expect(c.get('k')).toBe('written');
  });

  it('keeps scopes apart', () => {
    const cache = new TxCache<string>(10);
    cache.scope('f', 's', 'a').fill('1', 'A');
    expect(cache.scope('f', 's', 'b').get('1')).toBeUndefined();
    expect(cache.scope('f', 's', 'a').get('1')).toBe('A');
    cache.clear();
    expect(cache.scope('f', 's', 'a').get('1')).toBeUndefined();
  });

  it('stays bounded, keeps recently used entries and never answers with an overwritten value', () => {
    const c = new TxCache<number>(100).scope('f', 's', 'e');
    for (let i = 0; i < 1000; i++) {
      c.fill(`k${i}`, i);
      // A hot key read all along survives every generation change.
      expect(c.get('k0')).toBe(0);
      expect(c.size).toBeLessThanOrEqual(101);
    }
    expect(c.get('k1')).toBeUndefined();
    expect(c.get('k999')).toBe(999);
    // An entry in the old generation that is written again answers with the new value only.
    const d = new TxCache<string>(4).scope('f', 's', 'e');
    d.fill('x', 'old');
    d.fill('y', 'y');
    expect(d.get('z')).toBeUndefined();
    d.set('x', 'new');
    expect(d.get('x')).toBe('new');
    d.fill('w', 'w');
    d.fill('v', 'v');
    expect(d.get('x')).toBe('new');
  });
});
