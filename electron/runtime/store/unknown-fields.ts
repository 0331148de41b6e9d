import type { Db } from './database.js';

/** Schema drift report: fields a source sends that no mapping or discovered schema knows. */
export class UnknownFieldRepo {
  private readonly addStmt;
  private readonly listStmt;

  constructor(db: Db) {
    this.addStmt = db.prepare(
      `INSERT INTO unknown_fields (flow_id, system, entity, field, first_seen, count) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (flow_id, system, entity, field) DO UPDATE SET count = count + excluded.count`,
    );
    this.listStmt = db.prepare('SELECT system, entity, field, first_seen, count FROM unknown_fields WHERE flow_id = ? ORDER BY first_seen');
  }

  add(flowId: string, system: string, entity: string, field: string, now: number, count: number): void {
    this.addStmt.run(flowId, system, entity, field, now, count);
  }

  list(flowId: string): { system: string; entity: string; field: string; firstSeen: number; count: number }[] {
    return (this.listStmt.all(flowId) as { system: string; entity: string; field: string; first_seen: number; count: number }[]).map((r) => ({
      system: r.system,
      entity: r.entity,
      field: r.field,
      firstSeen: r.first_seen,
      count: r.count,
    }));
  }
}
