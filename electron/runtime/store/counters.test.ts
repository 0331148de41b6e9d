import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emptyDelta } from './counters.js';
import { Store } from './store.js';

let store: Store;
beforeEach(() => {
  store = Store.open(':memory:');
});
afterEach(() => store.close());

describe('CounterRepo', () => {
  it('starts at zero', () => {
    expect(store.counters.get('f1', 's1', 'a-to-b')).toEqual(emptyDelta());
  });

  it('adds deltas up per edge and direction', () => {
    store.counters.add('f1', 's1', 'a-to-b', { applied: 3, errors: 1, conflicts: 2, echoes: 4, violations: 5, tombstones: 6, stale: 7, lastAppliedAt: 100 });
    store.counters.add('f1', 's1', 'a-to-b', { applied: 10, errors: 20, conflicts: 30, echoes: 40, violations: 50, tombstones: 60, stale: 70, lastAppliedAt: 200 });
    store.counters.add('f1', 's1', 'b-to-a', { ...emptyDelta(), applied: 1, lastAppliedAt: 50 });
    expect(store.counters.get('f1', 's1', 'a-to-b')).toEqual({ applied: 13, errors: 21, conflicts: 32, echoes: 44, violations: 55, tombstones: 66, stale: 77, lastAppliedAt: 200 });
    expect(store.counters.get('f1', 's1', 'b-to-a')).toEqual({ ...emptyDelta(), applied: 1, lastAppliedAt: 50 });
    expect(store.counters.get('f1', 's2', 'a-to-b')).toEqual(emptyDelta());
  });

  it('keeps the last applied time when a delta applied nothing', () => {
    store.counters.add('f1', 's1', 'a-to-b', { ...emptyDelta(), applied: 1, lastAppliedAt: 100 });
    store.counters.add('f1', 's1', 'a-to-b', { ...emptyDelta(), echoes: 1 });
    expect(store.counters.get('f1', 's1', 'a-to-b')).toMatchObject({ applied: 1, echoes: 1, lastAppliedAt: 100 });
  });
});
