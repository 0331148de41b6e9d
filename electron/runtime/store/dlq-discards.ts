import type { Db } from './database.js';

/** How long a discard can be undone. */
export const DISCARD_UNDO_WINDOW_MS = 30_000;

const DLQ_COLUMNS = [
  'id',
  'flow_id',
  'sync_id',
  'direction',
  'event_id',
  'source_system',
  'target_system',
  'entity',
  'key',
  'error_class',
  'message',
  'response',
  'attempts',
  'first_failed_at',
  'last_failed_at',
  'event',
  'payload',
  'detail',
  'inbox_seq',
  'event_version',
] as const;

/**
 * Discarded DLQ entries, kept whole for an undo window: a discard moves the row here, an undo within
 * the window moves it back under its old id, and rows past the window are purged.
 */
export class DlqDiscardRepo {
  private readonly getLive;
  private readonly deleteLive;
  private readonly keep;
  private readonly getKept;
  private readonly deleteKept;
  private readonly restore;
  private readonly purgeStmt;

  constructor(private readonly db: Db) {
    this.getLive = db.prepare('SELECT * FROM dlq WHERE id = ?');
    this.deleteLive = db.prepare('DELETE FROM dlq WHERE id = ?');
    this.keep = db.prepare('INSERT OR REPLACE INTO dlq_discarded (id, discarded_at, entry) VALUES (?, ?, ?)');
    this.getKept = db.prepare('SELECT discarded_at, entry FROM dlq_discarded WHERE id = ?');
    this.deleteKept = db.prepare('DELETE FROM dlq_discarded WHERE id = ?');
    this.restore = db.prepare(`INSERT INTO dlq (${DLQ_COLUMNS.join(', ')}) VALUES (${DLQ_COLUMNS.map((c) => `@${c}`).join(', ')})`);
    this.purgeStmt = db.prepare('DELETE FROM dlq_discarded WHERE discarded_at < ?');
  }

  /** Move entries out of the DLQ; returns how many were there. */
  discard(ids: readonly number[], now: number): number {
    return this.db.transaction(() => {
      this.purgeStmt.run(now - DISCARD_UNDO_WINDOW_MS);
      let n = 0;
      for (const id of ids) {
        const row = this.getLive.get(id) as Record<string, unknown> | undefined;
        if (!row) continue;
        this.keep.run(id, now, JSON.stringify(row));
        this.deleteLive.run(id);
        n++;
      }
      return n;
    })();
  }

  /** Put entries discarded within the undo window back; returns the ids restored (later ones are gone for good). */
  undo(ids: readonly number[], now: number): number[] {
    return this.db.transaction(() => {
      const restored: number[] = [];
      for (const id of ids) {
        const kept = this.getKept.get(id) as { discarded_at: number; entry: string } | undefined;
        if (!kept || kept.discarded_at < now - DISCARD_UNDO_WINDOW_MS) continue;
        const row = JSON.parse(kept.entry) as Record<string, unknown>;
        this.restore.run(Object.fromEntries(DLQ_COLUMNS.map((c) => [c, row[c] ?? null])));
        this.deleteKept.run(id);
        restored.push(id);
      }
      this.purgeStmt.run(now - DISCARD_UNDO_WINDOW_MS);
      return restored;
    })();
  }
}
