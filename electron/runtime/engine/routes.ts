import type { DirectionKey } from '../../../shared/api/contract.js';
import type { FlowDocument, SyncEdge } from '../../../shared/flow/schema.js';
import { nextCronTime } from './cron.js';
import { directionsOf, sourceSide } from './sides.js';

export interface FlowRoute {
  sync: SyncEdge;
  direction: DirectionKey;
}

/** Which sync directions read from each (system, entity) of a flow. */
export function buildRoutes(flow: FlowDocument): Map<string, FlowRoute[]> {
  const out = new Map<string, FlowRoute[]>();
  for (const sync of flow.syncs) {
    if (!sync.enabled) continue;
    for (const direction of directionsOf(sync)) {
      const src = sync[sourceSide(direction)];
      const k = `${src.system}\u0000${src.entity}`;
      let list = out.get(k);
      if (!list) out.set(k, (list = []));
      list.push({ sync, direction });
    }
  }
  return out;
}

export function routesKey(system: string, entity: string): string {
  return `${system}\u0000${entity}`;
}

/**
 * When a change captured `now` may be applied: at once (real-time), at the end of the current
 * tumbling window so changes to one record in the window coalesce (near-real-time), or at the next
 * scheduled run (batch).
 */
export function readyTime(sync: SyncEdge, now: number): number {
  const l = sync.latency;
  if (l.tier === 'real-time') return now;
  if (l.tier === 'near-real-time') return Math.ceil((now + 1) / l.windowMs) * l.windowMs;
  return nextCronTime(l.cron, now);
}

/**
 * Tombstones outlive the longest polling interval plus a safety buffer (at least a day, so a late
 * webhook retry or a DLQ replay of an older change cannot resurrect a deleted record either).
 */
export function tombstoneTtlMs(longestPollMs: number): number {
  return longestPollMs + Math.max(longestPollMs, 24 * 60 * 60_000);
}
