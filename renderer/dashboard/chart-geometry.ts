/** Plain-SVG chart math: scales and paths from time series, no chart library. */
export interface SeriesPoint {
  t: number;
  v: number | null;
}

export interface ChartBox {
  width: number;
  height: number;
  pad: { top: number; right: number; bottom: number; left: number };
}

/** A "nice" upper bound for the y axis (1, 2, 5 × 10^n), never below `min`. */
export function niceMax(max: number, min = 1): number {
  const m = Math.max(max, min);
  const p = 10 ** Math.floor(Math.log10(m));
  for (const f of [1, 2, 5, 10]) if (f * p >= m) return f * p;
  return 10 * p;
}

/** One SVG path per line; a null value breaks the line instead of drawing it at zero. */
export function linePath(points: readonly SeriesPoint[], t0: number, t1: number, yMax: number, box: ChartBox): string {
  const w = box.width - box.pad.left - box.pad.right;
  const h = box.height - box.pad.top - box.pad.bottom;
  const span = Math.max(1, t1 - t0);
  let d = '';
  let pen = false;
  for (const p of points) {
    if (p.v === null || !Number.isFinite(p.v)) {
      pen = false;
      continue;
    }
    const x = box.pad.left + ((p.t - t0) / span) * w;
    const y = box.pad.top + h - (Math.min(p.v, yMax) / yMax) * h;
    d += `${pen ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`;
    pen = true;
  }
  return d;
}

export function maxOf(series: readonly (readonly SeriesPoint[])[]): number {
  let m = 0;
  for (const s of series) for (const p of s) if (p.v !== null && p.v > m) m = p.v;
  return m;
}
