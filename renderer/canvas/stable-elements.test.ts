import { describe, expect, it } from 'vitest';
import { reuseUnchanged } from './stable-elements.js';

describe('reuseUnchanged', () => {
  const a = { id: 'a', position: { x: 1, y: 2 }, data: { name: 'A', lags: [1] } };
  const b = { id: 'b', position: { x: 3, y: 4 }, data: { name: 'B', lags: [2] } };

  it('returns the previous array when nothing changed', () => {
    const prev = [a, b];
    expect(reuseUnchanged(prev, [structuredClone(a), structuredClone(b)])).toBe(prev);
  });

  it('keeps unchanged elements and takes changed ones', () => {
    const bMoved = { ...structuredClone(b), position: { x: 9, y: 4 } };
    const out = reuseUnchanged([a, b], [structuredClone(a), bMoved]);
    expect(out[0]).toBe(a);
    expect(out[1]).toBe(bMoved);
    const lagChanged = { ...structuredClone(a), data: { name: 'A', lags: [5] } };
    expect(reuseUnchanged([a, b], [lagChanged, b])[0]).toBe(lagChanged);
  });

  it('handles added, removed and reordered elements', () => {
    expect(reuseUnchanged([a, b], [b])).toEqual([b]);
    const c = { id: 'c', position: { x: 0, y: 0 }, data: { name: 'C', lags: [] } };
    expect(reuseUnchanged([a], [a, c])).toEqual([a, c]);
    const swapped = reuseUnchanged([a, b], [structuredClone(b), structuredClone(a)]);
    expect(swapped[0]).toBe(b);
    expect(swapped[1]).toBe(a);
    expect(reuseUnchanged([], [a])).toEqual([a]);
  });
});
