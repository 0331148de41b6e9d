import { describe, expect, it } from 'vitest';
import { MAX_SCROLL_HEIGHT, pagesFor, visibleRows } from './windowing.js';

describe('visibleRows', () => {
  it('renders only the rows on screen plus overscan', () => {
    expect(visibleRows(0, 300, 30, 100_000, 5)).toEqual({ start: 0, end: 16, offsetY: 0, height: 3_000_000 });
    const w = visibleRows(3000, 300, 30, 100_000, 5);
    expect(w).toMatchObject({ start: 95, end: 116 });
    expect(w.offsetY).toBe(95 * 30);
  });

  it('stops at the end of the list and handles an empty one', () => {
    expect(visibleRows(10_000, 300, 30, 20, 5)).toMatchObject({ start: 14, end: 20 });
    expect(visibleRows(0, 300, 30, 0)).toEqual({ start: 0, end: 0, offsetY: 0, height: 0 });
  });

  it('caps the scroll height for huge lists and still reaches the last row', () => {
    const total = 1_000_000;
    const top = visibleRows(0, 600, 30, total, 0);
    expect(top.height).toBe(MAX_SCROLL_HEIGHT);
    const bottom = visibleRows(MAX_SCROLL_HEIGHT - 600, 600, 30, total, 0);
    expect(bottom.end).toBe(total);
    // The rendered rows sit inside the viewport.
    expect(bottom.offsetY).toBeGreaterThanOrEqual(MAX_SCROLL_HEIGHT - 600 - 30);
    expect(bottom.offsetY).toBeLessThanOrEqual(MAX_SCROLL_HEIGHT - 600);
  });
});

describe('pagesFor', () => {
  it('lists the pages a row range touches', () => {
    expect(pagesFor(0, 10, 200)).toEqual([0]);
    expect(pagesFor(190, 230, 200)).toEqual([0, 1]);
    expect(pagesFor(400, 400, 200)).toEqual([]);
  });
});
