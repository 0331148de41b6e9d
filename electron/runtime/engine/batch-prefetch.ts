import type { DirectionKey } from '../../../shared/api/contract.js';
import type { SyncEdge } from '../../../shared/flow/schema.js';
import type { InboxRow } from '../store/inbox.js';
import type { EngineContext } from './engine-context.js';
import type { PlannedChange } from './planned-change.js';
import { sourceSide, targetSide } from './sides.js';

/**
 * Load the links and shadows a batch will read with one query per route and side, instead of one
 * point query per change (most of a batch of new records would miss the cache one by one).
 */
export function prefetchState(ctx: EngineContext, rows: readonly InboxRow[]): void {
  const byRoute = new Map<string, { sync: SyncEdge; direction: DirectionKey; keys: Set<string> }>();
  for (const row of rows) {
    const k = `${row.syncId}|${row.direction}`;
    let g = byRoute.get(k);
    if (!g) {
      const sync = ctx.syncs.get(row.syncId);
      if (!sync) continue;
      byRoute.set(k, (g = { sync, direction: row.direction, keys: new Set() }));
    }
    g.keys.add(row.event.key);
  }
  for (const { sync, direction, keys } of byRoute.values()) {
    const s = sourceSide(direction);
    const t = targetSide(direction);
    ctx.store.links.prefetch(ctx.flowId, sync.id, s, keys);
    ctx.store.shadows.prefetch(ctx.flowId, sync[s].system, sync[s].entity, keys);
    const linked: string[] = [];
    for (const key of keys) {
      const other = ctx.store.links.other(ctx.flowId, sync.id, s, key);
      if (other !== null) linked.push(other);
    }
    ctx.store.shadows.prefetch(ctx.flowId, sync[t].system, sync[t].entity, linked);
  }
}

/** The same for the records a batch's writes created or found: their links and shadows are read at commit. */
export function prefetchWritten(ctx: EngineContext, planned: readonly PlannedChange[]): void {
  const byTarget = new Map<string, { sync: SyncEdge; direction: DirectionKey; system: string; entity: string; keys: string[] }>();
  for (const p of planned) {
    if (p.decision.kind !== 'write' || p.decision.op?.kind !== 'upsert' || !p.opResult?.ok || p.opResult.key === p.linkedKey) continue;
    const k = `${p.route.sync.id}|${p.route.direction}`;
    let g = byTarget.get(k);
    if (!g) byTarget.set(k, (g = { sync: p.route.sync, direction: p.route.direction, system: p.targetSystem, entity: p.targetEntity, keys: [] }));
    g.keys.push(p.opResult.key);
  }
  for (const g of byTarget.values()) {
    ctx.store.links.prefetch(ctx.flowId, g.sync.id, targetSide(g.direction), g.keys);
    ctx.store.shadows.prefetch(ctx.flowId, g.system, g.entity, g.keys);
  }
}
