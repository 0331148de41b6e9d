import type { AlertThresholds } from '../../../shared/api/contract.js';
import type { Db } from './database.js';

/** Alert thresholds per edge, set from the dashboard. */
export class AlertThresholdRepo {
  private readonly putStmt;
  private readonly listStmt;
  private readonly deleteStmt;

  constructor(db: Db) {
    this.putStmt = db.prepare(
      'INSERT INTO alert_thresholds (flow_id, sync_id, thresholds, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (flow_id, sync_id) DO UPDATE SET thresholds = excluded.thresholds, updated_at = excluded.updated_at',
    );
    this.listStmt = db.prepare('SELECT sync_id, thresholds FROM alert_thresholds WHERE flow_id = ? ORDER BY sync_id');
    this.deleteStmt = db.prepare('DELETE FROM alert_thresholds WHERE flow_id = ? AND sync_id = ?');
  }

  set(flowId: string, syncId: string, t: AlertThresholds, now: number): void {
    if (Object.values(t).every((v) => v === undefined || v === null)) this.deleteStmt.run(flowId, syncId);
    else this.putStmt.run(flowId, syncId, JSON.stringify(t), now);
  }

  list(flowId: string): Record<string, AlertThresholds> {
    const out: Record<string, AlertThresholds> = {};
    for (const r of this.listStmt.all(flowId) as { sync_id: string; thresholds: string }[]) out[r.sync_id] = JSON.parse(r.thresholds) as AlertThresholds;
    return out;
  }
}
