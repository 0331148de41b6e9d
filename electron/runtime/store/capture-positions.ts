import type { Db } from './database.js';

/**
 * The last change position committed per (flow, source system), for sources whose changes carry a
 * strictly growing position (CapturedChange.position): a change at or before it is a redelivery.
 * One row per source instead of a dedupe key per change; written in the capture transaction with
 * the changes and the checkpoint, so a crash cannot separate them.
 */
export class CapturePositionRepo {
  private readonly getStmt;
  private readonly putStmt;
  private readonly forgetStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare('SELECT position FROM capture_positions WHERE flow_id = ? AND system = ?').pluck();
    this.putStmt = db.prepare(
      `INSERT INTO capture_positions (flow_id, system, position) VALUES (?, ?, ?)
       ON CONFLICT (flow_id, system) DO UPDATE SET position = excluded.position`,
    );
    this.forgetStmt = db.prepare('DELETE FROM capture_positions WHERE flow_id = ? AND system = ?');
  }

  get(flowId: string, system: string): string | null {
    return (this.getStmt.get(flowId, system) as string | undefined) ?? null;
  }

  put(flowId: string, system: string, position: string): void {
    this.putStmt.run(flowId, system, position);
  }

  /** The source's positions start over (a new replication slot): nothing before is comparable. */
  forget(flowId: string, system: string): void {
    this.forgetStmt.run(flowId, system);
  }
}
