import type { Db } from './database.js';
import type { MetricPoint } from '../../../shared/api/contract.js';

export interface MetricBucket {
  flowId: string;
  syncId: string;
  direction: string;
  t: number;
  events: number;
  errors: number;
  conflicts: number;
  echoes: number;
  lagP50: number | null;
  lagP95: number | null;
  lagP99: number | null;
  lagHist: string | null;
  dlqDepth: number;
}

/** Per-edge time series (one row per direction per bucket), kept for the dashboard. */
export class MetricsRepo {
  private readonly putStmt;
  private readonly seriesStmt;
  private readonly pruneStmt;

  constructor(db: Db) {
    this.putStmt = db.prepare(
      `INSERT INTO metrics (flow_id, sync_id, direction, t, events, errors, conflicts, echoes, lag_p50, lag_p95, lag_p99, lag_hist, dlq_depth)
       VALUES (@flowId, @syncId, @direction, @t, @events, @errors, @conflicts, @echoes, @lagP50, @lagP95, @lagP99, @lagHist, @dlqDepth)
       ON CONFLICT (flow_id, sync_id, direction, t) DO UPDATE SET events = excluded.events, errors = excluded.errors,
         conflicts = excluded.conflicts, echoes = excluded.echoes, lag_p50 = excluded.lag_p50, lag_p95 = excluded.lag_p95,
         lag_p99 = excluded.lag_p99, lag_hist = excluded.lag_hist, dlq_depth = excluded.dlq_depth`,
    );
    this.seriesStmt = db.prepare(
      'SELECT t, events, errors, conflicts, echoes, lag_p50, lag_p99, dlq_depth FROM metrics WHERE flow_id = ? AND sync_id = ? AND direction = ? AND t >= ? ORDER BY t',
    );
    this.pruneStmt = db.prepare('DELETE FROM metrics WHERE t < ?');
  }

  put(b: MetricBucket): void {
    this.putStmt.run(b);
  }

  series(flowId: string, syncId: string, direction: string, since: number): MetricPoint[] {
    return (this.seriesStmt.all(flowId, syncId, direction, since) as Record<string, number | null>[]).map((r) => ({
      t: r.t as number,
      events: r.events as number,
      errors: r.errors as number,
      conflicts: r.conflicts as number,
      echoes: r.echoes as number,
      lagP50: r.lag_p50 ?? null,
      lagP99: r.lag_p99 ?? null,
      dlqDepth: r.dlq_depth as number,
    }));
  }

  prune(olderThan: number): number {
    return this.pruneStmt.run(olderThan).changes;
  }
}
