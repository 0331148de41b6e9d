import type { Db } from './database.js';

/** Where each source system's capture resumes; written in the same transaction as the inbox rows. */
export class CheckpointRepo {
  private readonly getStmt;
  private readonly putStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare('SELECT position FROM checkpoints WHERE flow_id = ? AND system = ?');
    this.putStmt = db.prepare(
      `INSERT INTO checkpoints (flow_id, system, position, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (flow_id, system) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`,
    );
  }

  get(flowId: string, system: string): string | null {
    const row = this.getStmt.get(flowId, system) as { position: string | null } | undefined;
    return row?.position ?? null;
  }

  put(flowId: string, system: string, position: string | null, now: number): void {
    this.putStmt.run(flowId, system, position, now);
  }
}
