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
