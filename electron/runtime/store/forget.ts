import type { Store } from './store.js';
import { openDlqRow } from './dlq.js';
import { HISTORY_CONTEXT } from './edge-history.js';

export interface ForgetReport {
  /** Every record erased, as system/key: the one asked for and the records linked to it. */
  records: { system: string; key: string }[];
  /** Rows deleted per table. */
  rows: Record<string, number>;
}

/**
 * Erase one person's data (an erasure request): the record `key` of `system` and every record linked
 * to it through a sync (the same person in the other systems), in every flow. Removed: pending inbox
 * changes, DLQ entries (live and discarded), shadows, applied history, links, tombstones and snapshot
 * keys. Event ids (dedupe keys) hold no values and stay. Without its link and shadow a later change of
 * that record is a new record to the runtime: erase the person in the systems too.
 *
 * Runs with secure_delete on and ends with a checkpoint that empties the WAL, so the erased rows'
 * bytes are not left in free pages or old WAL frames. The caller holds the workspace (no runtime).
 */
export function forgetRecord(store: Store, system: string, key: string): ForgetReport {
  const db = store.db;
  const rows: Record<string, number> = {};
  const count = (table: string, n: number) => (rows[table] = (rows[table] ?? 0) + n);
  const flows = store.flows.list().map((f) => f.flow);

  // The person's records: a breadth-first walk over links, per flow (keys are per system).
  const seen = new Map<string, { flowId: string | null; system: string; key: string }>();
  const todo: { system: string; key: string }[] = [{ system, key }];
  const id = (s: string, k: string) => JSON.stringify([s, k]);
  seen.set(id(system, key), { flowId: null, system, key });
  const linksA = db.prepare('SELECT b_key AS other FROM links WHERE flow_id = ? AND sync_id = ? AND a_key = ?');
  const linksB = db.prepare('SELECT a_key AS other FROM links WHERE flow_id = ? AND sync_id = ? AND b_key = ?');
  while (todo.length > 0) {
    const r = todo.pop()!;
    for (const flow of flows) {
      for (const sync of flow.syncs) {
        const sides: [string, string, typeof linksA][] = [
          [sync.a.system, sync.b.system, linksA],
          [sync.b.system, sync.a.system, linksB],
        ];
        for (const [mine, other, stmt] of sides) {
          if (mine !== r.system) continue;
          for (const { other: k } of stmt.all(flow.id, sync.id, r.key) as { other: string }[]) {
            if (seen.has(id(other, k))) continue;
            seen.set(id(other, k), { flowId: flow.id, system: other, key: k });
            todo.push({ system: other, key: k });
          }
        }
      }
    }
  }
  const records = [...seen.values()].map(({ system: s, key: k }) => ({ system: s, key: k }));

  db.pragma('secure_delete = ON');
  store.transaction(() => {
    for (const r of records) {
      count('inbox', db.prepare('DELETE FROM inbox WHERE system = ? AND key = ?').run(r.system, r.key).changes);
      count('dlq', db.prepare('DELETE FROM dlq WHERE source_system = ? AND key = ?').run(r.system, r.key).changes);
      count('shadows', db.prepare('DELETE FROM shadows WHERE system = ? AND key = ?').run(r.system, r.key).changes);
      db.prepare('DELETE FROM shadow_values WHERE system = ? AND key = ?').run(r.system, r.key);
      count('tombstones', db.prepare('DELETE FROM tombstones WHERE system = ? AND key = ?').run(r.system, r.key).changes);
      count('snapshot_keys', db.prepare('DELETE FROM snapshot_keys WHERE system = ? AND key = ?').run(r.system, r.key).changes);
      count('snapshot_keys', db.prepare('DELETE FROM snapshot_candidates WHERE system = ? AND key = ?').run(r.system, r.key).changes);
      for (const flow of flows) {
        for (const sync of flow.syncs) {
          if (sync.a.system === r.system) count('links', db.prepare('DELETE FROM links WHERE flow_id = ? AND sync_id = ? AND a_key = ?').run(flow.id, sync.id, r.key).changes);
          if (sync.b.system === r.system) count('links', db.prepare('DELETE FROM links WHERE flow_id = ? AND sync_id = ? AND b_key = ?').run(flow.id, sync.id, r.key).changes);
        }
      }
    }
    const isRecord = (s: unknown, k: unknown) => records.some((r) => r.system === s && r.key === k);
    // Sealed or whole-row JSON: opened one by one (both tables are small and bounded).
    const delDiscard = db.prepare('DELETE FROM dlq_discarded WHERE id = ?');
    for (const d of db.prepare('SELECT id, entry FROM dlq_discarded').all() as { id: number; entry: string }[]) {
      const row = openDlqRow(JSON.parse(d.entry) as Record<string, unknown>, store.cipher);
      if (isRecord(row.source_system, row.key)) count('dlq_discarded', delDiscard.run(d.id).changes);
    }
    const delHistory = db.prepare('DELETE FROM edge_history WHERE id = ?');
    for (const h of db.prepare('SELECT id, event FROM edge_history').all() as { id: number; event: string }[]) {
      const event = JSON.parse(store.cipher.open(h.event, HISTORY_CONTEXT)) as { system?: unknown; key?: unknown };
      if (isRecord(event.system, event.key)) count('edge_history', delHistory.run(h.id).changes);
    }
  });
  // Erased rows may still sit in free pages written before secure_delete, and in old WAL frames.
  db.exec('VACUUM');
  db.pragma('wal_checkpoint(TRUNCATE)');
  return { records, rows };
}
