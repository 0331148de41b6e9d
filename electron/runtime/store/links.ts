import type { Db } from './database.js';
import { TxCache } from './tx-cache.js';

/** Which record on side b a record on side a is synced with, once matched; survives match-key edits. */
export class LinkRepo {
  /** Looked up for every change: kept in memory, written through (key: flow, sync, side, key). */
  readonly cache = new TxCache<string>(100_000);
  private readonly byA;
  private readonly byB;
  private readonly putStmt;
  private readonly deleteA;
  private readonly deleteB;
  private readonly manyByA;
  private readonly manyByB;

  constructor(db: Db) {
    this.byA = db.prepare('SELECT b_key FROM links WHERE flow_id = ? AND sync_id = ? AND a_key = ?');
    this.byB = db.prepare('SELECT a_key FROM links WHERE flow_id = ? AND sync_id = ? AND b_key = ?');
    this.deleteA = db.prepare('DELETE FROM links WHERE flow_id = ? AND sync_id = ? AND a_key = ?');
    this.deleteB = db.prepare('DELETE FROM links WHERE flow_id = ? AND sync_id = ? AND b_key = ?');
    this.putStmt = db.prepare('INSERT INTO links (flow_id, sync_id, a_key, b_key, linked_at) VALUES (?, ?, ?, ?, ?)');
    this.manyByA = db.prepare('SELECT a_key, b_key FROM links WHERE flow_id = ? AND sync_id = ? AND a_key IN (SELECT value FROM json_each(?))').raw();
    this.manyByB = db.prepare('SELECT b_key, a_key FROM links WHERE flow_id = ? AND sync_id = ? AND b_key IN (SELECT value FROM json_each(?))').raw();
  }

  /**
   * Load the links of many keys into the cache with one query (a batch's worth), so the lookups
   * that follow are memory reads; keys without a link are remembered as such.
   */
  prefetch(flowId: string, syncId: string, side: 'a' | 'b', keys: Iterable<string>): void {
    const stmt = side === 'a' ? this.manyByA : this.manyByB;
    this.cache.scope(flowId, syncId, side).prefetch(keys, (missing) => new Map(stmt.all(flowId, syncId, JSON.stringify(missing)) as [string, string][]));
  }

  /** The key on the other side of `key` (given as side `side`), if linked. */
  other(flowId: string, syncId: string, side: 'a' | 'b', key: string): string | null {
    const scope = this.cache.scope(flowId, syncId, side);
    const cached = scope.get(key);
    if (cached !== undefined) return cached;
    const row = side === 'a'
      ? (this.byA.get(flowId, syncId, key) as { b_key: string } | undefined)?.b_key
      : (this.byB.get(flowId, syncId, key) as { a_key: string } | undefined)?.a_key;
    scope.fill(key, row ?? null);
    return row ?? null;
  }

  /** Link a↔b, replacing any older link either of them had. */
  link(flowId: string, syncId: string, aKey: string, bKey: string, now: number): void {
    this.unlink(flowId, syncId, 'a', aKey);
    this.unlink(flowId, syncId, 'b', bKey);
    this.putStmt.run(flowId, syncId, aKey, bKey, now);
    this.cache.scope(flowId, syncId, 'a').set(aKey, bKey);
    this.cache.scope(flowId, syncId, 'b').set(bKey, aKey);
  }

  unlink(flowId: string, syncId: string, side: 'a' | 'b', key: string): void {
    const other = this.other(flowId, syncId, side, key);
    // The cache is written through by the only writer: not linked means there is no row to delete
    // (the common case when a new record is linked for the first time).
    if (other === null) return;
    (side === 'a' ? this.deleteA : this.deleteB).run(flowId, syncId, key);
    this.cache.scope(flowId, syncId, side).set(key, null);
    this.cache.scope(flowId, syncId, side === 'a' ? 'b' : 'a').set(other, null);
  }
}
