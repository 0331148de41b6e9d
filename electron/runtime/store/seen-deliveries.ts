import type { Db } from './database.js';
import type { DeliveryMatch, SeenDelivery } from '../connectors/types.js';

export const FIND_BY_ID_SQL = 'SELECT content_hash, signed_at FROM webhook_deliveries WHERE flow_id = ? AND system = ? AND delivery_id = ? AND expires_at > ?';
/**
 * INDEXED BY: without statistics SQLite preferred scanning the primary key's (flow_id, system)
 * prefix, one full scan of a system's deliveries per request (15 ms at 100k rows, 5 µs with the index).
 */
export const FIND_BY_CONTENT_SQL =
  'SELECT delivery_id FROM webhook_deliveries INDEXED BY webhook_deliveries_content WHERE flow_id = ? AND system = ? AND content_hash = ? AND expires_at > ? LIMIT 1';

/**
 * Accepted webhook deliveries per (flow, system): id, body hash and signature time, until they
 * expire. Written in the inbox transaction of the delivery's changes, so "stored" and "seen"
 * cannot disagree after a crash.
 */
export class SeenDeliveryRepo {
  private readonly byIdStmt;
  private readonly byContentStmt;
  private readonly putStmt;
  private readonly pruneStmt;

  constructor(db: Db) {
    this.byIdStmt = db.prepare(FIND_BY_ID_SQL);
    this.byContentStmt = db.prepare(FIND_BY_CONTENT_SQL);
    this.putStmt = db.prepare(
      `INSERT INTO webhook_deliveries (flow_id, system, delivery_id, content_hash, signed_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (flow_id, system, delivery_id) DO UPDATE SET content_hash = excluded.content_hash, signed_at = excluded.signed_at,
         expires_at = max(expires_at, excluded.expires_at)`,
    );
    this.pruneStmt = db.prepare('DELETE FROM webhook_deliveries WHERE expires_at <= ?');
  }

  find(flowId: string, system: string, id: string, contentHash: string, nowMs: number): DeliveryMatch | null {
    const byId = this.byIdStmt.get(flowId, system, id, nowMs) as { content_hash: string; signed_at: number | null } | undefined;
    if (byId) return { by: 'id', contentHash: byId.content_hash, signedAtMs: byId.signed_at };
    const byContent = this.byContentStmt.get(flowId, system, contentHash, nowMs) as { delivery_id: string } | undefined;
    return byContent ? { by: 'content', id: byContent.delivery_id } : null;
  }

  record(flowId: string, system: string, deliveries: readonly SeenDelivery[]): void {
    for (const d of deliveries) this.putStmt.run(flowId, system, d.id, d.contentHash, d.signedAtMs, d.expiresAtMs);
  }

  /** Forget expired deliveries; returns how many. */
  prune(nowMs: number): number {
    return this.pruneStmt.run(nowMs).changes;
  }
}
