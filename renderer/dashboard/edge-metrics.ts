import type { MetricPoint } from '../../shared/api/contract.js';
import type { SeriesPoint } from './chart-geometry.js';

/** metrics.series buckets are 5 s wide. */
export const BUCKET_MS = 5000;
const PER_MIN = 60_000 / BUCKET_MS;

export interface DerivedSeries {
  lagP50: SeriesPoint[];
  lagP99: SeriesPoint[];
  eventsPerSec: SeriesPoint[];
  errorsPerMin: SeriesPoint[];
  conflictsPerMin: SeriesPoint[];
  dlqDepth: SeriesPoint[];
}

/** Rates from the raw buckets: events per second, errors and conflicts per minute. */
export function deriveSeries(points: readonly MetricPoint[]): DerivedSeries {
  return {
    lagP50: points.map((p) => ({ t: p.t, v: p.lagP50 })),
    lagP99: points.map((p) => ({ t: p.t, v: p.lagP99 })),
    eventsPerSec: points.map((p) => ({ t: p.t, v: p.events / (BUCKET_MS / 1000) })),
    errorsPerMin: points.map((p) => ({ t: p.t, v: p.errors * PER_MIN })),
    conflictsPerMin: points.map((p) => ({ t: p.t, v: p.conflicts * PER_MIN })),
    dlqDepth: points.map((p) => ({ t: p.t, v: p.dlqDepth })),
  };
}

export { breaches, newBreaches, unreachableBreaches, type AlertBreach } from '../../shared/alerts/breaches.js';
