import type { Db } from './database.js';

export interface Tombstone {
  deletedAt: number;
  expiresAt: number;
  /** True when the runtime made the delete (its echo is then suppressed). */
  bySync: boolean;
}

/** Remembers deletes long enough that a poller or a late echo cannot resurrect the record. */
export class TombstoneRepo {
  private readonly getStmt;
  private readonly putStmt;
  private readonly deleteStmt;
  private readonly expireStmt;
  private readonly countStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare('SELECT deleted_at, expires_at, by_sync FROM tombstones WHERE flow_id = ? AND system = ? AND entity = ? AND key = ?');
    this.putStmt = db.prepare(
      `INSERT INTO tombstones (flow_id, system, entity, key, deleted_at, expires_at, by_sync) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (flow_id, system, entity, key) DO UPDATE SET deleted_at = excluded.deleted_at, expires_at = excluded.expires_at, by_sync = excluded.by_sync`,
    );
    this.deleteStmt = db.prepare('DELETE FROM tombstones WHERE flow_id = ? AND system = ? AND entity = ? AND key = ?');
    this.expireStmt = db.prepare('DELETE FROM tombstones WHERE expires_at < ?');
    this.countStmt = db.prepare('SELECT COUNT(*) AS n FROM tombstones WHERE flow_id = ?');
  }

  get(flowId: string, system: string, entity: string, key: string, now: number): Tombstone | null {
    const r = this.getStmt.get(flowId, system, entity, key) as { deleted_at: number; expires_at: number; by_sync: number } | undefined;
    if (!r || r.expires_at < now) return null;
    return { deletedAt: r.deleted_at, expiresAt: r.expires_at, bySync: r.by_sync === 1 };
  }

  put(flowId: string, system: string, entity: string, key: string, t: Tombstone): void {
    this.putStmt.run(flowId, system, entity, key, t.deletedAt, t.expiresAt, t.bySync ? 1 : 0);
  }

  remove(flowId: string, system: string, entity: string, key: string): void {
    this.deleteStmt.run(flowId, system, entity, key);
  }

  expire(now: number): number {
    return this.expireStmt.run(now).changes;
  }

  count(flowId: string): number {
    return (this.countStmt.get(flowId) as { n: number }).n;
  }
}
