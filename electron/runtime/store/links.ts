import type { Db } from './database.js';
import { TxCache } from './tx-cache.js';

/** Which record on side b a record on side a is synced with, once matched; survives match-key edits. */
export class LinkRepo {
  /** Looked up for every change: kept in memory, written through (key: flow, sync, side, key). */
  readonly cache = new TxCache<string>(200_000);
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
    const ck = `${flowId}\u0000${syncId}\u0000${side}\u0000${key}`;
    const cached = this.cache.get(ck);
    if (cached !== undefined) return cached;
    const row = side === 'a'
      ? (this.byA.get(flowId, syncId, key) as { b_key: string } | undefined)?.b_key
      : (this.byB.get(flowId, syncId, key) as { a_key: string } | undefined)?.a_key;
    this.cache.fill(ck, row ?? null);
    return row ?? null;
  }

  /** Link a↔b, replacing any older link either of them had. */
  link(flowId: string, syncId: string, aKey: string, bKey: string, now: number): void {
    this.unlink(flowId, syncId, 'a', aKey);
    this.unlink(flowId, syncId, 'b', bKey);
    this.putStmt.run(flowId, syncId, aKey, bKey, now);
    this.cache.set(`${flowId}\u0000${syncId}\u0000a\u0000${aKey}`, bKey);
    this.cache.set(`${flowId}\u0000${syncId}\u0000b\u0000${bKey}`, aKey);
  }

  unlink(flowId: string, syncId: string, side: 'a' | 'b', key: string): void {
    const other = this.other(flowId, syncId, side, key);
    (side === 'a' ? this.deleteA : this.deleteB).run(flowId, syncId, key);
    this.cache.set(`${flowId}\u0000${syncId}\u0000${side}\u0000${key}`, null);
    if (other !== null) this.cache.set(`${flowId}\u0000${syncId}\u0000${side === 'a' ? 'b' : 'a'}\u0000${other}`, null);
  }
}
