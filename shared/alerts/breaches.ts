import type { AlertThresholds, DirectionKey, MetricPoint, SyncStatus } from '../api/contract.js';
import { clockTime } from '../unreachable.js';

/**
 * When an edge should alert: pure rules over its live status and recent metrics, shared by the
 * dashboard (renderer) and the desktop shell's notifier, which runs with no window open.
 */

export interface AlertBreach {
  /** Stable per edge and threshold, so one breach notifies once. */
  key: string;
  syncId: string;
  message: string;
}

/**
 * An edge whose system cannot be reached alerts whatever its thresholds: it stopped syncing.
 * Keyed per system, so an outage notifies once while it lasts.
 */
export function unreachableBreaches(syncId: string, name: string, status: SyncStatus | undefined): AlertBreach[] {
  return (status?.unreachable ?? []).map((u) => ({
    key: `${syncId}:unreachable:${u.systemId}`,
    syncId,
    message: `${name}: ${u.name} unreachable since ${clockTime(u.since)}; changes wait and apply by themselves once it answers (${u.message})`,
  }));
}

/**
 * Which thresholds an edge breaks now: lag p99 from the live status, error and conflict rates from
 * the last full minute of buckets, DLQ depth from the live status.
 */
export function breaches(syncId: string, name: string, t: AlertThresholds | undefined, status: SyncStatus | undefined, recent: Partial<Record<DirectionKey, readonly MetricPoint[]>>, now: number): AlertBreach[] {
  if (!t || !status) return [];
  const out: AlertBreach[] = [];
  const lag = Math.max(0, ...status.directions.map((d) => d.lagMs.p99 ?? 0));
  if (t.lagP99Ms !== undefined && lag > t.lagP99Ms) out.push({ key: `${syncId}:lag`, syncId, message: `${name}: lag p99 is ${Math.round(lag)} ms (alert above ${t.lagP99Ms} ms)` });
  const lastMinute = (k: 'errors' | 'conflicts') =>
    Object.values(recent).reduce((n, pts) => n + (pts ?? []).filter((p) => p.t >= now - 60_000).reduce((m, p) => m + p[k], 0), 0);
  const errors = lastMinute('errors');
  if (t.errorsPerMin !== undefined && errors > t.errorsPerMin) out.push({ key: `${syncId}:errors`, syncId, message: `${name}: ${count(errors, 'error')} in the last minute (alert above ${t.errorsPerMin})` });
  const conflicts = lastMinute('conflicts');
  if (t.conflictsPerMin !== undefined && conflicts > t.conflictsPerMin) out.push({ key: `${syncId}:conflicts`, syncId, message: `${name}: ${count(conflicts, 'conflict')} in the last minute (alert above ${t.conflictsPerMin})` });
  const depth = status.directions.reduce((n, d) => n + d.dlqDepth, 0);
  if (t.dlqDepth !== undefined && depth > t.dlqDepth) out.push({ key: `${syncId}:dlq`, syncId, message: `${name}: ${count(depth, 'change')} in the DLQ (alert above ${t.dlqDepth})` });
  return out;
}

/** "1 change", "3 changes": an alert about one parked record once read "1 changes". */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** Notify each breach once while it lasts; a breach that clears and comes back notifies again. */
export function newBreaches<B extends AlertBreach>(previous: ReadonlySet<string>, current: readonly B[]): { fresh: B[]; active: Set<string> } {
  const active = new Set(current.map((b) => b.key));
  return { fresh: current.filter((b) => !previous.has(b.key)), active };
}
