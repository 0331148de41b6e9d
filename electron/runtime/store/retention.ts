import type { Store } from './store.js';
import { DISCARD_UNDO_WINDOW_MS } from './dlq-discards.js';

/** How long applied customer values (edge history for what-if previews) are kept by default. */
export const DEFAULT_RETENTION_MS = 7 * 24 * 60 * 60_000;

/**
 * Purge applied payloads older than the retention window: the applied events kept for what-if
 * previews, and discarded DLQ entries past their undo window. What sync semantics still need stays:
 * shadows of live records (echo suppression, conflicts), links, tombstones until their TTL, pending
 * inbox rows and live DLQ entries (not applied yet), event ids (no values).
 * Returns how many rows went.
 */
export function purgeAppliedPayloads(store: Store, now: number, retentionMs: number): number {
  const before = now - retentionMs;
  const history = store.db.prepare('DELETE FROM edge_history WHERE applied_at < ?').run(before).changes;
  const discarded = store.db.prepare('DELETE FROM dlq_discarded WHERE discarded_at < ?').run(now - DISCARD_UNDO_WINDOW_MS).changes;
  return history + discarded;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "7d", "12h", "30m", "10s" → milliseconds; a clear error otherwise. */
export function parseRetention(text: string): number {
  const m = /^(\d+)\s*([smhd])$/.exec(text.trim());
  if (!m) throw new Error(`a retention is a whole number with a unit: s, m, h or d (e.g. "7d"), got "${text}"`);
  const ms = Number(m[1]) * UNITS[m[2]!]!;
  if (ms < 1000) throw new Error(`the retention must be at least 1s, got "${text}"`);
  return ms;
}
