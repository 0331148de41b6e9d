import type { AuditEntry } from '../../../shared/api/contract.js';
import type { Db } from './database.js';

type Row = Omit<AuditEntry, 'target' | 'ok'> & { target: string; ok: number };

/** Every mutating call on a shared runtime, oldest kept; read newest first. */
export class AuditLogRepo {
  private readonly insert;
  private readonly page;
  private readonly total;

  constructor(db: Db) {
    this.insert = db.prepare('INSERT INTO audit_log (at, who, role, method, target, reason, ok, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    this.page = db.prepare('SELECT id, at, who, role, method, target, reason, ok, error FROM audit_log ORDER BY id DESC LIMIT ? OFFSET ?');
    this.total = db.prepare('SELECT count(*) FROM audit_log').pluck();
  }

  add(entry: Omit<AuditEntry, 'id'>): void {
    this.insert.run(entry.at, entry.who, entry.role, entry.method, JSON.stringify(entry.target), entry.reason, entry.ok ? 1 : 0, entry.error);
  }

  list(limit: number, offset: number): { total: number; entries: AuditEntry[] } {
    const entries = (this.page.all(limit, offset) as Row[]).map((r) => ({ ...r, target: JSON.parse(r.target) as Record<string, unknown>, ok: r.ok === 1 }));
    return { total: this.total.get() as number, entries };
  }
}
