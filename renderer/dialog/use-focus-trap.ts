import { useEffect, type RefObject } from 'react';

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

function focusables(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.getClientRects().length > 0 && !el.closest('[inert]'));
}

/**
 * Holds keyboard focus inside a dialog while it is open and gives it back to what had it before
 * when it closes: Tab past the last control wraps to the first, and focus that lands outside (a
 * click on the header, a control that vanished) is pulled back in. Without it, Tab from the DLQ
 * walked into the canvas hidden behind the panel.
 */
export function useFocusTrap(ref: RefObject<HTMLElement | null>, open: boolean): void {
  useEffect(() => {
    const root = ref.current;
    if (!open || !root) return;
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!root.contains(document.activeElement)) (focusables(root)[0] ?? root).focus();

    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Tab') return;
      // An inner dialog (a confirmation) holds focus itself.
      const scope = root.querySelector<HTMLElement>('[role="alertdialog"]') ?? root;
      const items = focusables(scope);
      if (items.length === 0) return;
      const first = items[0]!;
      const last = items[items.length - 1]!;
      const active = document.activeElement;
      if (!scope.contains(active)) {
        e.preventDefault();
        (e.shiftKey ? last : first).focus();
      } else if (e.shiftKey && active === first) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && active === last) {
        e.preventDefault();
        first.focus();
      }
    };
    // Focus can still get out where the list above does not reach (a scroll box the browser makes
    // focusable, a row replaced under the cursor): pull it back in at the end it left from.
    let backwards = false;
    const onKeyDirection = (e: KeyboardEvent) => {
      if (e.key === 'Tab') backwards = e.shiftKey;
    };
    const onFocusIn = (e: FocusEvent) => {
      if (root.contains(e.target as Node)) return;
      const items = focusables(root);
      (backwards ? items[items.length - 1] : items[0])?.focus();
    };
    // A control that is disabled or removed while focused drops focus on the page body, with no
    // focusin to catch: keep it in the dialog.
    const onFocusOut = () =>
      setTimeout(() => {
        if (root.isConnected && (document.activeElement === document.body || document.activeElement === null)) root.focus();
      });
    root.addEventListener('focusout', onFocusOut);
    document.addEventListener('keydown', onKeyDirection, true);
    document.addEventListener('keydown', onKey, true);
    document.addEventListener('focusin', onFocusIn);
    return () => {
      root.removeEventListener('focusout', onFocusOut);
      document.removeEventListener('keydown', onKeyDirection, true);
      document.removeEventListener('keydown', onKey, true);
      document.removeEventListener('focusin', onFocusIn);
      if (before && before.isConnected) before.focus();
    };
  }, [ref, open]);
}
