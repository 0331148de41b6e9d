/**
 * Undo/redo over immutable snapshots. Edits that belong together (one drag, one typed word) are
 * coalesced by passing the same `group` key within `coalesceMs`, so one undo reverts the gesture.
 */
export interface History<T> {
  past: T[];
  present: T;
  future: T[];
  lastGroup: string | null;
  lastAt: number;
}

export const HISTORY_LIMIT = 200;

export function startHistory<T>(present: T): History<T> {
  return { past: [], present, future: [], lastGroup: null, lastAt: 0 };
}

export function record<T>(h: History<T>, next: T, options: { group?: string; at?: number; coalesceMs?: number } = {}): History<T> {
  if (next === h.present) return h;
  const at = options.at ?? 0;
  const group = options.group ?? null;
  const coalesce = group !== null && group === h.lastGroup && at - h.lastAt <= (options.coalesceMs ?? 1000);
  const past = coalesce ? h.past : [...h.past, h.present].slice(-HISTORY_LIMIT);
  return { past, present: next, future: [], lastGroup: group, lastAt: at };
}

export function undo<T>(h: History<T>): History<T> {
  const previous = h.past[h.past.length - 1];
  if (previous === undefined) return h;
  return { past: h.past.slice(0, -1), present: previous, future: [h.present, ...h.future], lastGroup: null, lastAt: 0 };
}

export function redo<T>(h: History<T>): History<T> {
  const next = h.future[0];
  if (next === undefined) return h;
  return { past: [...h.past, h.present], present: next, future: h.future.slice(1), lastGroup: null, lastAt: 0 };
}

export const canUndo = (h: History<unknown>): boolean => h.past.length > 0;
export const canRedo = (h: History<unknown>): boolean => h.future.length > 0;
