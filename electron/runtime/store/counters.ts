import type { Db } from './database.js';

export interface EdgeCounterDelta {
  applied: number;
  errors: number;
  conflicts: number;
  echoes: number;
  violations: number;
  tombstones: number;
  stale: number;
  lastAppliedAt: number | null;
}

export type EdgeCounters = EdgeCounterDelta;

export function emptyDelta(): EdgeCounterDelta {
  return { applied: 0, errors: 0, conflicts: 0, echoes: 0, violations: 0, tombstones: 0, stale: 0, lastAppliedAt: null };
}

/** Lifetime totals per edge and direction, updated in the same transaction as the applied batch. */
export class CounterRepo {
  private readonly addStmt;
  private readonly getStmt;

  constructor(db: Db) {
    this.addStmt = db.prepare(
      `INSERT INTO edge_counters (flow_id, sync_id, direction, applied, errors, conflicts, echoes, violations, tombstones, stale, last_applied_at)
       VALUES (@flowId, @syncId, @direction, @applied, @errors, @conflicts, @echoes, @violations, @tombstones, @stale, @lastAppliedAt)
       ON CONFLICT (flow_id, sync_id, direction) DO UPDATE SET
         applied = applied + excluded.applied, errors = errors + excluded.errors, conflicts = conflicts + excluded.conflicts,
         echoes = echoes + excluded.echoes, violations = violations + excluded.violations, tombstones = tombstones + excluded.tombstones,
         stale = stale + excluded.stale, last_applied_at = COALESCE(excluded.last_applied_at, last_applied_at)`,
    );
    this.getStmt = db.prepare('SELECT * FROM edge_counters WHERE flow_id = ? AND sync_id = ? AND direction = ?');
  }

  add(flowId: string, syncId: string, direction: string, d: EdgeCounterDelta): void {
    this.addStmt.run({ flowId, syncId, direction, ...d });
  }

  get(flowId: string, syncId: string, direction: string): EdgeCounters {
    const r = this.getStmt.get(flowId, syncId, direction) as Record<string, number | null> | undefined;
    if (!r) return emptyDelta();
    return {
      applied: r.applied as number,
      errors: r.errors as number,
      conflicts: r.conflicts as number,
      echoes: r.echoes as number,
      violations: r.violations as number,
      tombstones: r.tombstones as number,
      stale: r.stale as number,
      lastAppliedAt: r.last_applied_at ?? null,
    };
  }
}
