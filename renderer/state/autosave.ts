import type { StoreApi } from 'zustand/vanilla';
import { isDirty, isUntouchedNewFlow, type EditorState } from './editor-actions.js';

/**
 * Saves the draft to the workspace a moment after the last edit, when it is valid; an unfinished
 * draft waits (its problems are shown inline), and so does an empty new flow until the user adds
 * something or names it. Returns the function that stops autosaving.
 */
export function startAutosave(store: StoreApi<EditorState>, delayMs = 1500, timers: Pick<typeof globalThis, 'setTimeout' | 'clearTimeout'> = globalThis): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const unsubscribe = store.subscribe((state, previous) => {
    if (state.history?.present === previous.history?.present) return;
    if (timer) timers.clearTimeout(timer);
    timer = null;
    if (!isDirty(state) || isUntouchedNewFlow(state)) return;
    timer = timers.setTimeout(() => {
      timer = null;
      const now = store.getState();
      if (isDirty(now) && !isUntouchedNewFlow(now)) void now.save({ auto: true });
    }, delayMs);
  });
  return () => {
    if (timer) timers.clearTimeout(timer);
    unsubscribe();
  };
}
