import type { MetricPoint } from '../../shared/api/contract.js';
import type { SeriesPoint } from './chart-geometry.js';

/** metrics.series buckets are 5 s wide. */
export const BUCKET_MS = 5000;

export interface DerivedSeries {
  lagP50: SeriesPoint[];
  lagP99: SeriesPoint[];
  eventsPerSec: SeriesPoint[];
  errorsPerMin: SeriesPoint[];
  conflictsPerMin: SeriesPoint[];
  dlqDepth: SeriesPoint[];
}

/**
 * Rates from the raw buckets: events per second, and errors and conflicts in the minute up to each
 * point (counted, not extrapolated: one failed record in a 5-second bucket is 1 per minute, not 12).
 */
export function deriveSeries(points: readonly MetricPoint[]): DerivedSeries {
  const lastMinute = (k: 'errors' | 'conflicts') => points.map((p) => ({ t: p.t, v: points.reduce((n, q) => (q.t <= p.t && q.t > p.t - 60_000 ? n + q[k] : n), 0) }));
  return {
    lagP50: points.map((p) => ({ t: p.t, v: p.lagP50 })),
    lagP99: points.map((p) => ({ t: p.t, v: p.lagP99 })),
    eventsPerSec: points.map((p) => ({ t: p.t, v: p.events / (BUCKET_MS / 1000) })),
    errorsPerMin: lastMinute('errors'),
    conflictsPerMin: lastMinute('conflicts'),
    dlqDepth: points.map((p) => ({ t: p.t, v: p.dlqDepth })),
  };
}

/** A legend's "now": the window the Live panel and alerts use too. */
const NOW_WINDOW_MS = 60_000;

export interface CurrentValues {
  lagP50: number | null;
  lagP99: number | null;
  eventsPerSec: number;
  errorsPerMin: number;
  conflictsPerMin: number;
  dlqDepth: number;
}

/**
 * What each chart's legend says now. Buckets exist only while changes flow, so the last bucket of an
 * idle edge is not its present: once nothing was stored for a minute there is no lag to report and
 * no rate, and errors and conflicts are those of the minute up to `now` (an old replay or a failure
 * ten minutes ago once kept its number on show for the whole window).
 */
export function currentValues(points: readonly MetricPoint[], now: number): CurrentValues {
  const recent = points.filter((p) => p.t > now - NOW_WINDOW_MS);
  const last = recent[recent.length - 1];
  const lastLag = [...recent].reverse().find((p) => p.lagP99 !== null || p.lagP50 !== null);
  return {
    lagP50: lastLag?.lagP50 ?? null,
    lagP99: lastLag?.lagP99 ?? null,
    eventsPerSec: last ? last.events / (BUCKET_MS / 1000) : 0,
    errorsPerMin: recent.reduce((n, p) => n + p.errors, 0),
    conflictsPerMin: recent.reduce((n, p) => n + p.conflicts, 0),
    // The DLQ keeps its entries while the edge is idle: the last depth stored still holds.
    dlqDepth: points[points.length - 1]?.dlqDepth ?? 0,
  };
}

export { breaches, newBreaches, unreachableBreaches, type AlertBreach } from '../../shared/alerts/breaches.js';
