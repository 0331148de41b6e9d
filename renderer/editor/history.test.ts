import { describe, expect, it } from 'vitest';
import { canRedo, canUndo, HISTORY_LIMIT, record, redo, startHistory, undo } from './history.js';

describe('history', () => {
  it('undoes and redoes in order, and a new edit drops the redo branch', () => {
    let h = startHistory(1);
    h = record(h, 2);
    h = record(h, 3);
    h = undo(h);
    expect(h.present).toBe(2);
    h = undo(h);
    expect(h.present).toBe(1);
    expect(canUndo(h)).toBe(false);
    h = redo(h);
    expect(h.present).toBe(2);
    h = record(h, 9);
    expect(canRedo(h)).toBe(false);
    expect(undo(h).present).toBe(2);
  });

  it('coalesces one gesture into one undo step, but not after a pause', () => {
    let h = startHistory(0);
    h = record(h, 1, { group: 'drag:a', at: 0 });
    h = record(h, 2, { group: 'drag:a', at: 100 });
    h = record(h, 3, { group: 'drag:a', at: 200 });
    expect(undo(h).present).toBe(0);
    h = record(h, 4, { group: 'drag:a', at: 5000 });
    expect(undo(h).present).toBe(3);
  });

  it('ignores a no-op and keeps at most HISTORY_LIMIT steps', () => {
    let h = startHistory(0);
    expect(record(h, 0)).toBe(h);
    for (let i = 1; i <= HISTORY_LIMIT + 10; i++) h = record(h, i);
    expect(h.past.length).toBe(HISTORY_LIMIT);
  });
});
