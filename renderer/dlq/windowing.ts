/** Which rows of a fixed-row-height list are on screen (plus overscan), so only those are rendered. */
export interface RowWindow {
  start: number;
  /** Exclusive. */
  end: number;
  /** Where the first rendered row sits, in px from the top of the list. */
  offsetY: number;
  /** Height of the whole list, in px (keeps the scrollbar true to the total). */
  height: number;
}

/** Browsers cap an element's height (~16.7 M px in Chromium): beyond it rows are scaled to fit. */
export const MAX_SCROLL_HEIGHT = 10_000_000;

export function visibleRows(scrollTop: number, viewportHeight: number, rowHeight: number, total: number, overscan = 8): RowWindow {
  if (total <= 0 || rowHeight <= 0) return { start: 0, end: 0, offsetY: 0, height: 0 };
  const natural = total * rowHeight;
  const height = Math.min(natural, MAX_SCROLL_HEIGHT);
  // With a capped height, scroll position maps to a row proportionally.
  const scale = natural > height ? (natural - viewportHeight) / Math.max(1, height - viewportHeight) : 1;
  const virtualTop = Math.max(0, scrollTop) * scale;
  const first = Math.min(total - 1, Math.floor(virtualTop / rowHeight));
  const start = Math.max(0, first - overscan);
  const end = Math.min(total, first + Math.ceil(viewportHeight / rowHeight) + 1 + overscan);
  const offsetY = Math.max(0, scrollTop) + (start * rowHeight - virtualTop);
  return { start, end, offsetY, height };
}

/** The server pages that hold rows [start, end). */
export function pagesFor(start: number, end: number, pageSize: number): number[] {
  if (end <= start) return [];
  const out: number[] = [];
  for (let p = Math.floor(start / pageSize); p <= Math.floor((end - 1) / pageSize); p++) out.push(p);
  return out;
}
