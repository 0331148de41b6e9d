import type { DirectionKey } from '../../../shared/api/contract.js';
import type { ChangeEvent } from '../../../shared/events.js';
import type { Db } from './database.js';
import type { DataCipher } from './data-cipher.js';

export const HISTORY_CONTEXT = 'edge_history.event';

/** How many applied events are kept per edge and direction for what-if previews. */
export const HISTORY_PER_EDGE = 200;

export interface HistoryEvent {
  id: number;
  direction: DirectionKey;
  appliedAt: number;
  event: ChangeEvent;
}

/**
 * The last applied events of each edge, written in the engine's commit transaction. Bounded: a batch
 * records at most HISTORY_PER_EDGE events per edge and trims older ones, so its cost stays flat.
 */
export class EdgeHistoryRepo {
  private readonly insertStmt;
  private readonly trimStmt;
  private readonly listStmt;
  private readonly listDirStmt;

  constructor(
    db: Db,
    private readonly cipher: DataCipher,
  ) {
    this.insertStmt = db.prepare('INSERT INTO edge_history (flow_id, sync_id, direction, applied_at, event) VALUES (?, ?, ?, ?, ?)');
    this.trimStmt = db.prepare(
      `DELETE FROM edge_history WHERE flow_id = ? AND sync_id = ? AND direction = ? AND id <= (
         SELECT id FROM edge_history WHERE flow_id = ? AND sync_id = ? AND direction = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
    );
    this.listStmt = db.prepare('SELECT id, direction, applied_at, event FROM edge_history WHERE flow_id = ? AND sync_id = ? ORDER BY id DESC LIMIT ?');
    this.listDirStmt = db.prepare('SELECT id, direction, applied_at, event FROM edge_history WHERE flow_id = ? AND sync_id = ? AND direction = ? ORDER BY id DESC LIMIT ?');
  }

  /** Record one edge's applied events of a batch (only the newest HISTORY_PER_EDGE matter). */
  record(flowId: string, syncId: string, direction: DirectionKey, events: readonly ChangeEvent[], appliedAt: number): void {
    if (events.length === 0) return;
    for (const e of events.slice(-HISTORY_PER_EDGE)) this.insertStmt.run(flowId, syncId, direction, appliedAt, this.cipher.seal(JSON.stringify(e), HISTORY_CONTEXT));
    this.trimStmt.run(flowId, syncId, direction, flowId, syncId, direction, HISTORY_PER_EDGE);
  }

  /** Newest first. */
  list(flowId: string, syncId: string, limit: number, direction?: DirectionKey): HistoryEvent[] {
    const rows = (direction ? this.listDirStmt.all(flowId, syncId, direction, limit) : this.listStmt.all(flowId, syncId, limit)) as { id: number; direction: DirectionKey; applied_at: number; event: string }[];
    return rows.map((r) => ({ id: r.id, direction: r.direction, appliedAt: r.applied_at, event: JSON.parse(this.cipher.open(r.event, HISTORY_CONTEXT)) as ChangeEvent }));
  }
}
