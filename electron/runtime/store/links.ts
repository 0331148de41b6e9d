import type { Db } from './database.js';

/** Which record on side b a record on side a is synced with, once matched; survives match-key edits. */
export class LinkRepo {
  private readonly byA;
  private readonly byB;
  private readonly putStmt;
  private readonly deleteA;
  private readonly deleteB;

  constructor(db: Db) {
    this.byA = db.prepare('SELECT b_key FROM links WHERE flow_id = ? AND sync_id = ? AND a_key = ?');
    this.byB = db.prepare('SELECT a_key FROM links WHERE flow_id = ? AND sync_id = ? AND b_key = ?');
    this.deleteA = db.prepare('DELETE FROM links WHERE flow_id = ? AND sync_id = ? AND a_key = ?');
    this.deleteB = db.prepare('DELETE FROM links WHERE flow_id = ? AND sync_id = ? AND b_key = ?');
    this.putStmt = db.prepare('INSERT INTO links (flow_id, sync_id, a_key, b_key, linked_at) VALUES (?, ?, ?, ?, ?)');
  }

  /** The key on the other side of `key` (given as side `side`), if linked. */
  other(flowId: string, syncId: string, side: 'a' | 'b', key: string): string | null {
    const row = side === 'a'
      ? (this.byA.get(flowId, syncId, key) as { b_key: string } | undefined)?.b_key
      : (this.byB.get(flowId, syncId, key) as { a_key: string } | undefined)?.a_key;
    return row ?? null;
  }

  /** Link a↔b, replacing any older link either of them had. */
  link(flowId: string, syncId: string, aKey: string, bKey: string, now: number): void {
    this.deleteA.run(flowId, syncId, aKey);
    this.deleteB.run(flowId, syncId, bKey);
    this.putStmt.run(flowId, syncId, aKey, bKey, now);
  }

  unlink(flowId: string, syncId: string, side: 'a' | 'b', key: string): void {
    (side === 'a' ? this.deleteA : this.deleteB).run(flowId, syncId, key);
  }
}
