import type { GoLiveRecord } from '../../../shared/api/contract.js';
import type { Db } from './database.js';

/** Every go-live of a flow, overrides with their written reason, so a risky start is never silent. */
export class GoLiveRepo {
  private readonly addStmt;
  private readonly listStmt;

  constructor(db: Db) {
    this.addStmt = db.prepare('INSERT INTO go_live_log (flow_id, at, override, reason, failed) VALUES (?, ?, ?, ?, ?)');
    this.listStmt = db.prepare('SELECT * FROM go_live_log WHERE flow_id = ? ORDER BY id DESC LIMIT ?');
  }

  add(r: Omit<GoLiveRecord, 'id'>): GoLiveRecord {
    const id = Number(this.addStmt.run(r.flowId, r.at, r.override ? 1 : 0, r.reason, JSON.stringify(r.failed)).lastInsertRowid);
    return { id, ...r };
  }

  list(flowId: string, limit = 20): GoLiveRecord[] {
    return (this.listStmt.all(flowId, limit) as { id: number; flow_id: string; at: number; override: number; reason: string | null; failed: string }[]).map((r) => ({
      id: r.id,
      flowId: r.flow_id,
      at: r.at,
      override: r.override === 1,
      reason: r.reason,
      failed: JSON.parse(r.failed) as string[],
    }));
  }
}
