import type { Db } from './database.js';
import type { FlowDocument } from '../../../shared/flow/schema.js';
import { parseFlowText } from '../../../shared/flow/validate.js';

export interface StoredFlow {
  flow: FlowDocument;
  updatedAt: number;
  running: boolean;
}

/** A stored flow document this build cannot read (saved by a newer SyncCanvas, typically); the message says why. */
export class UnreadableFlowError extends Error {}

/** Flow documents as saved by the user (validated before they get here), plus whether each was left running. */
export class FlowRepo {
  constructor(private readonly db: Db) {}

  list(): StoredFlow[] {
    const rows = this.db.prepare('SELECT doc, updated_at, running FROM flows ORDER BY name').all() as { doc: string; updated_at: number; running: number }[];
    const out: StoredFlow[] = [];
    for (const r of rows) {
      const parsed = parseFlowText(r.doc);
      if (parsed.ok) out.push({ flow: parsed.flow, updatedAt: r.updated_at, running: r.running === 1 });
    }
    return out;
  }

  /**
   * Stored flows this build cannot read (saved by a newer SyncCanvas, typically), with why: listed so
   * they are not mistaken for gone, and so nothing is saved over them.
   */
  unreadable(): { id: string; name: string; updatedAt: number; problem: string }[] {
    const rows = this.db.prepare('SELECT id, name, doc, updated_at FROM flows ORDER BY name').all() as { id: string; name: string; doc: string; updated_at: number }[];
    const out: { id: string; name: string; updatedAt: number; problem: string }[] = [];
    for (const r of rows) {
      const parsed = parseFlowText(r.doc);
      if (!parsed.ok) out.push({ id: r.id, name: r.name, updatedAt: r.updated_at, problem: parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ') });
    }
    return out;
  }

  get(id: string): StoredFlow | null {
    const r = this.db.prepare('SELECT doc, updated_at, running FROM flows WHERE id = ?').get(id) as { doc: string; updated_at: number; running: number } | undefined;
    if (!r) return null;
    const parsed = parseFlowText(r.doc);
    if (!parsed.ok) throw new UnreadableFlowError(`the stored flow "${id}" cannot be opened by this build: ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    return { flow: parsed.flow, updatedAt: r.updated_at, running: r.running === 1 };
  }

  save(flow: FlowDocument, now: number): void {
    this.db
      .prepare(
        `INSERT INTO flows (id, name, doc, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, doc = excluded.doc, updated_at = excluded.updated_at`,
      )
      .run(flow.id, flow.name, JSON.stringify(flow, null, 2), now);
  }

  setRunning(id: string, running: boolean): void {
    this.db.prepare('UPDATE flows SET running = ? WHERE id = ?').run(running ? 1 : 0, id);
  }

  delete(id: string): boolean {
    return this.db.prepare('DELETE FROM flows WHERE id = ?').run(id).changes === 1;
  }
}
