import { useSyncExternalStore } from 'react';

const KEY = 'synccanvas.explanations';
const listeners = new Set<() => void>();

function read(): boolean {
  try {
    return globalThis.localStorage?.getItem(KEY) !== 'hidden';
  } catch {
    // Storage can be refused (private mode, a locked profile): then explanations just stay on.
    return true;
  }
}

/** Whether the one-line explanations are shown; remembered across sessions once hidden. */
export function useExplanations(): [shown: boolean, setShown: (shown: boolean) => void] {
  const shown = useSyncExternalStore(
    (l) => (listeners.add(l), () => listeners.delete(l)),
    read,
    () => true,
  );
  const setShown = (value: boolean) => {
    try {
      if (value) globalThis.localStorage?.removeItem(KEY);
      else globalThis.localStorage?.setItem(KEY, 'hidden');
    } catch {
      // Not remembered; nothing else to do.
    }
    listeners.forEach((l) => l());
  };
  return [shown, setShown];
}
