import type { Db } from './database.js';

/**
 * The keys a full read of a source (an initial snapshot) has seen, per flow and system, so that when
 * the read ends the records synced earlier but no longer there can be found: rows an interrupted
 * earlier attempt copied, or rows deleted while a replication slot was lost. Written in the capture
 * transaction, with the batch's changes.
 */
export class SnapshotKeyRepo {
  private readonly currentRun;
  private readonly startRun;
  private readonly clearKeys;
  private readonly endRun;
  private readonly insertKey;
  private readonly unseenLinked;
  private readonly unseenPending;
  private readonly noteCandidates;
  private readonly clearCandidates;
  private readonly unseenCandidates;

  constructor(db: Db) {
    this.currentRun = db.prepare('SELECT snapshot_id FROM snapshot_runs WHERE flow_id = ? AND system = ?').pluck();
    this.startRun = db.prepare('INSERT OR REPLACE INTO snapshot_runs (flow_id, system, snapshot_id) VALUES (?, ?, ?)');
    this.clearKeys = db.prepare('DELETE FROM snapshot_keys WHERE flow_id = ? AND system = ?');
    this.endRun = db.prepare('DELETE FROM snapshot_runs WHERE flow_id = ? AND system = ?');
    this.insertKey = db.prepare('INSERT OR IGNORE INTO snapshot_keys (flow_id, system, entity, key) VALUES (?, ?, ?, ?)');
    // The upserts from this source still waiting when a read starts (an earlier attempt copied them).
    // They may be applied while the read runs, and are then linked after it began: remembered here so
    // the reconciliation still finds them if the read does not see them.
    this.noteCandidates = db.prepare(
      `INSERT OR IGNORE INTO snapshot_candidates (flow_id, system, entity, key) SELECT DISTINCT flow_id, system, entity, key FROM inbox WHERE flow_id = ? AND system = ? AND op = 'upsert'`,
    );
    this.clearCandidates = db.prepare('DELETE FROM snapshot_candidates WHERE flow_id = ? AND system = ?');
    const unseen = (column: string) => `NOT EXISTS (SELECT 1 FROM snapshot_keys k WHERE k.flow_id = @flowId AND k.system = @system AND k.entity = @entity AND k.key = ${column})`;
    // Linked records, by the side the source is on (the column is chosen from a fixed pair).
    this.unseenLinked = {
      a: db.prepare(`SELECT a_key FROM links WHERE flow_id = @flowId AND sync_id = @syncId AND linked_at < @startedAt AND ${unseen('links.a_key')}`).pluck(),
      b: db.prepare(`SELECT b_key FROM links WHERE flow_id = @flowId AND sync_id = @syncId AND linked_at < @startedAt AND ${unseen('links.b_key')}`).pluck(),
    };
    // Records with an upsert still waiting to be applied (copied by the earlier attempt, not applied yet).
    this.unseenPending = db
      .prepare(
        `SELECT DISTINCT key FROM inbox WHERE flow_id = @flowId AND sync_id = @syncId AND direction = @direction AND system = @system AND entity = @entity
           AND op = 'upsert' AND ${unseen('inbox.key')}`,
      )
      .pluck();
    this.unseenCandidates = db.prepare(`SELECT key FROM snapshot_candidates c WHERE c.flow_id = @flowId AND c.system = @system AND c.entity = @entity AND ${unseen('c.key')}`).pluck();
  }

  /** Note the keys of one batch of a full read; a read with a new id forgets the keys of the one before. */
  record(flowId: string, system: string, snapshotId: string, keys: Iterable<readonly [entity: string, key: string]>): void {
    if (this.currentRun.get(flowId, system) !== snapshotId) {
      this.clearKeys.run(flowId, system);
      this.clearCandidates.run(flowId, system);
      this.startRun.run(flowId, system, snapshotId);
      this.noteCandidates.run(flowId, system);
    }
    for (const [entity, key] of keys) this.insertKey.run(flowId, system, entity, key);
  }

  /** Whether this read is the one whose keys are recorded (false: its start was never seen). */
  isCurrent(flowId: string, system: string, snapshotId: string): boolean {
    return this.currentRun.get(flowId, system) === snapshotId;
  }

  /**
   * Keys of `entity` that a route synced (linked before `startedAt`) or is about to sync (an upsert
   * from this source waiting in the inbox) but the finished read did not see.
   */
  unseen(flowId: string, system: string, entity: string, route: { syncId: string; direction: string; side: 'a' | 'b' }, startedAt: number): string[] {
    const params = { flowId, system, entity, syncId: route.syncId, direction: route.direction };
    const keys = new Set(this.unseenLinked[route.side].all({ ...params, startedAt }) as string[]);
    for (const k of this.unseenPending.all(params) as string[]) keys.add(k);
    for (const k of this.unseenCandidates.all({ flowId, system, entity }) as string[]) keys.add(k);
    return [...keys];
  }

  finish(flowId: string, system: string): void {
    this.clearKeys.run(flowId, system);
    this.clearCandidates.run(flowId, system);
    this.endRun.run(flowId, system);
  }
}
