import { linePath, maxOf, niceMax, type ChartBox, type SeriesPoint } from './chart-geometry.js';

export interface ChartLine {
  label: string;
  color: string;
  points: SeriesPoint[];
  dashed?: boolean;
  /** The legend's value now, when the last point is not it (null: none); else the last point's. */
  current?: number | null;
}

const BOX: ChartBox = { width: 360, height: 130, pad: { top: 8, right: 8, bottom: 18, left: 40 } };

const fmtAxis = (v: number, unit: string) => {
  if (unit === 'ms') return v >= 1000 ? `${Number((v / 1000).toFixed(1))} s` : `${Math.round(v)} ms`;
  return `${Number(v.toFixed(v < 10 ? 1 : 0))}${unit ? ` ${unit}` : ''}`;
};
/** hh:mm, or hh:mm:ss when the chart spans only a few minutes. */
const clock = (t: number, span: number) => new Date(t).toTimeString().slice(0, span > 10 * 60_000 ? 5 : 8);

/** A small multi-line time chart in plain SVG. */
export function LineChart({ title, unit, lines, t0, t1, testId }: { title: string; unit: string; lines: ChartLine[]; t0: number; t1: number; testId?: string }) {
  const yMax = niceMax(maxOf(lines.map((l) => l.points)), unit === 'ms' ? 10 : 1);
  const latest = lines.map((l) => (l.current !== undefined ? l.current : ([...l.points].reverse().find((p) => p.v !== null)?.v ?? null)));
  const h = BOX.height - BOX.pad.bottom;
  return (
    <figure className="chart" data-testid={testId}>
      <figcaption>
        <span className="chart__title">{title}</span>
        {lines.map((l, i) => (
          <span key={l.label} className="chart__legend">
            <span className="chart__swatch" style={{ background: l.color }} /> {l.label} {latest[i] !== null ? <strong>{fmtAxis(latest[i]!, unit)}</strong> : '—'}
          </span>
        ))}
      </figcaption>
      <svg viewBox={`0 0 ${BOX.width} ${BOX.height}`} role="img" aria-label={`${title} over the last ${Math.round((t1 - t0) / 60_000)} minutes`}>
        {[0, 0.5, 1].map((f) => {
          const y = BOX.pad.top + (h - BOX.pad.top) * (1 - f);
          return (
            <g key={f}>
              <line x1={BOX.pad.left} x2={BOX.width - BOX.pad.right} y1={y} y2={y} className="chart__grid" />
              <text x={BOX.pad.left - 4} y={y + 3} textAnchor="end" className="chart__axis">
                {fmtAxis(yMax * f, unit)}
              </text>
            </g>
          );
        })}
        <text x={BOX.pad.left} y={BOX.height - 4} className="chart__axis">
          {clock(t0, t1 - t0)}
        </text>
        <text x={BOX.width - BOX.pad.right} y={BOX.height - 4} textAnchor="end" className="chart__axis">
          {clock(t1, t1 - t0)}
        </text>
        {lines.map((l) => (
          <path key={l.label} d={linePath(l.points, t0, t1, yMax, BOX)} fill="none" stroke={l.color} strokeWidth={1.6} strokeDasharray={l.dashed ? '4 3' : undefined} />
        ))}
      </svg>
    </figure>
  );
}
