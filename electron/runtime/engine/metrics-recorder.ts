import type { DirectionKey, LagStats } from '../../../shared/api/contract.js';
import type { MetricBucket } from '../store/metrics.js';
import { LagHistogram } from './lag-histogram.js';

export const BUCKET_MS = 5_000;
const LIVE_WINDOW_MS = 60_000;

interface Bucket {
  t: number;
  events: number;
  errors: number;
  conflicts: number;
  echoes: number;
  lag: LagHistogram;
}

function emptyBucket(t: number): Bucket {
  return { t, events: 0, errors: 0, conflicts: 0, echoes: 0, lag: new LagHistogram() };
}

/**
 * Per edge-direction time series, accumulated in memory by 5-second bucket and written to the store
 * by the engine inside its apply transaction. The last minute of buckets answers live status.
 */
export class MetricsRecorder {
  private readonly series = new Map<string, Bucket[]>();

  private bucket(syncId: string, direction: DirectionKey, now: number): Bucket {
    const k = `${syncId}|${direction}`;
    const t = Math.floor(now / BUCKET_MS) * BUCKET_MS;
    let list = this.series.get(k);
    if (!list) this.series.set(k, (list = []));
    let last = list[list.length - 1];
    if (!last || last.t !== t) {
      last = emptyBucket(t);
      list.push(last);
      while (list.length > 0 && list[0]!.t < now - LIVE_WINDOW_MS - BUCKET_MS) list.shift();
    }
    return last;
  }

  /** An applied change; `lagMs` null for one whose age is not lag (a replay). */
  applied(syncId: string, direction: DirectionKey, now: number, lagMs: number | null): void {
    const b = this.bucket(syncId, direction, now);
    b.events++;
    if (lagMs !== null) b.lag.record(Math.max(0, lagMs));
  }

  /** Changes applied and failed over the last minute. */
  recent(syncId: string, direction: DirectionKey, now: number): { errors: number; events: number } {
    let errors = 0;
    let events = 0;
    for (const b of this.series.get(`${syncId}|${direction}`) ?? []) {
      if (b.t < now - LIVE_WINDOW_MS) continue;
      errors += b.errors;
      events += b.events;
    }
    return { errors, events };
  }

  count(syncId: string, direction: DirectionKey, now: number, what: 'errors' | 'conflicts' | 'echoes', n = 1): void {
    this.bucket(syncId, direction, now)[what] += n;
  }

  /** Lag percentiles and rate over the last minute. */
  live(syncId: string, direction: DirectionKey, now: number): { lag: LagStats; eventsPerSec: number } {
    const list = this.series.get(`${syncId}|${direction}`) ?? [];
    const h = new LagHistogram();
    let events = 0;
    let oldest = now;
    for (const b of list) {
      if (b.t < now - LIVE_WINDOW_MS) continue;
      h.merge(b.lag);
      events += b.events;
      oldest = Math.min(oldest, b.t);
    }
    const span = Math.max(1000, Math.min(LIVE_WINDOW_MS, now - oldest));
    return { lag: { p50: h.percentile(50), p95: h.percentile(95), p99: h.percentile(99) }, eventsPerSec: Math.round((events / span) * 10_000) / 10 };
  }

  /** Buckets to persist (the current one is rewritten until it closes: the store upserts by time). */
  snapshot(flowId: string, depth: (syncId: string, direction: string) => number, since: number): MetricBucket[] {
    const out: MetricBucket[] = [];
    for (const [k, list] of this.series) {
      const [syncId, direction] = k.split('|') as [string, string];
      for (const b of list) {
        if (b.t + BUCKET_MS < since) continue;
        out.push({
          flowId,
          syncId,
          direction,
          t: b.t,
          events: b.events,
          errors: b.errors,
          conflicts: b.conflicts,
          echoes: b.echoes,
          lagP50: b.lag.percentile(50),
          lagP95: b.lag.percentile(95),
          lagP99: b.lag.percentile(99),
          lagHist: JSON.stringify(b.lag.toJSON()),
          dlqDepth: depth(syncId, direction),
        });
      }
    }
    return out;
  }
}
