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

export { breaches, newBreaches, unreachableBreaches, type AlertBreach } from '../../shared/alerts/breaches.js';
