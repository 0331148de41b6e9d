import type { InboxRow } from '../store/inbox.js';
import { routeKey } from '../store/inbox.js';
import { prefetchState } from './batch-prefetch.js';
import { decide } from './decide.js';
import type { EngineContext } from './engine-context.js';
import type { PlannedChange } from './planned-change.js';
import { sourceSide, targetSide } from './sides.js';
import { normalizeMatch } from './values.js';

export interface BatchPlan {
  planned: PlannedChange[];
  /** Rows of syncs removed or disabled since they were captured: they go to the DLQ. */
  orphaned: InboxRow[];
  /** Rows left for the next batch because another change in this batch touched the same record. */
  deferred: number;
  /** Whether the flow has tombstones at all (settling skips their lookups when it has none). */
  anyTombstones: boolean;
}

/**
 * Decide a batch of ready inbox rows: at most one change per record (a later one waits for this
 * one's outcome), a record's later upserts coalesced on the slower latency tiers, each decided by
 * decide() with what the store knows. Reads only; nothing is written here.
 */
export async function planBatch(ctx: EngineContext, rows: readonly InboxRow[], now: number): Promise<BatchPlan> {
  const { store, flowId } = ctx;
  prefetchState(ctx, rows);
  // Most flows have few or no tombstones: skip two lookups per change when there are none.
  const anyTombstones = store.tombstones.count(flowId) > 0;
  const gone = anyTombstones ? await sourcesGone(ctx, rows, now) : new Map<string, Set<string>>();
  const touched = new Set<string>();
  const deferredRoutes = new Set<string>();
  const consumed = new Set<number>();
  const planned: PlannedChange[] = [];
  const orphaned: InboxRow[] = [];
  let deferred = 0;

  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (consumed.has(row.seq)) continue;
    const sync = ctx.syncs.get(row.syncId);
    if (!sync || !sync.enabled) {
      orphaned.push(row);
      continue;
    }
    const rk = routeKey(row.syncId, row.direction, row.event.key);
    if (deferredRoutes.has(rk)) {
      deferred++;
      continue;
    }
    const s = sourceSide(row.direction);
    const t = targetSide(row.direction);
    const sourceSystem = sync[s].system;
    const targetSystem = sync[t].system;
    const linkedKey = store.links.other(flowId, sync.id, s, row.event.key);
    const srcRec = `${sourceSystem}\u0000${sync[s].entity}\u0000${row.event.key}`;
    const matchValue = normalizeMatch(row.event.fields[sync.matchKey[s]], sync.matchKey.normalize);
    const tgtRec = linkedKey !== null ? `${targetSystem}\u0000${sync[t].entity}\u0000${linkedKey}` : `${targetSystem}\u0000${sync[t].entity}\u0000match:${matchValue}`;
    // The same person on both sides (one match value) is decided once per batch too: a change from
    // each side must not both create or both match before either is linked.
    const matchRec = matchValue !== null ? `${sync.id}\u0000match\u0000${matchValue}` : null;
    if (touched.has(srcRec) || touched.has(tgtRec) || (matchRec !== null && touched.has(matchRec))) {
      // One decision per record per batch: a later change to it waits for this one's outcome.
      deferredRoutes.add(rk);
      deferred++;
      continue;
    }
    touched.add(srcRec);
    touched.add(tgtRec);
    if (matchRec !== null) touched.add(matchRec);

    let event = row.event;
    const group = [row];
    if (sync.latency.tier !== 'real-time' && event.op === 'upsert') {
      // Coalesce this record's later upserts in the batch into one write (near-real-time and batch tiers).
      for (let j = i + 1; j < rows.length; j++) {
        const other = rows[j]!;
        if (other.syncId !== row.syncId || other.direction !== row.direction || other.event.key !== row.event.key) continue;
        if (other.event.op !== 'upsert') break;
        event = { ...other.event, fields: { ...event.fields, ...other.event.fields } };
        group.push(other);
        consumed.add(other.seq);
      }
    }

    const decision = decide({
      sync,
      direction: row.direction,
      event,
      sourceShadow: store.shadows.get(flowId, sourceSystem, sync[s].entity, event.key),
      targetShadow: linkedKey !== null ? store.shadows.get(flowId, targetSystem, sync[t].entity, linkedKey) : null,
      targetKey: linkedKey,
      sourceTombstone: anyTombstones ? store.tombstones.get(flowId, sourceSystem, sync[s].entity, event.key, now) : null,
      targetTombstone: anyTombstones && linkedKey !== null ? store.tombstones.get(flowId, targetSystem, sync[t].entity, linkedKey, now) : null,
      runtimeOrigin: ctx.runtimeOrigin,
      targetFields: ctx.fieldInfo.get(`${targetSystem}\u0000${sync[t].entity}`) ?? null,
      sourceFields: ctx.fieldInfo.get(`${sourceSystem}\u0000${sync[s].entity}`) ?? null,
      tombstoneTtlMs: ctx.tombstoneTtl(sync.id),
      sourceTagsOrigin: ctx.taggingSystems.has(sourceSystem),
      sourceGone: gone.get(`${sourceSystem}\u0000${sync[s].entity}`)?.has(event.key),
      transformContext: ctx.transformContext,
    });
    planned.push({ rows: group, route: { sync, direction: row.direction }, decision, sourceSystem, targetSystem, sourceEntity: sync[s].entity, targetEntity: sync[t].entity, linkedKey });
  }
  return { planned, orphaned, deferred, anyTombstones };
}

/**
 * For upserts of records the runtime itself deleted: which of them are gone at their source. Such
 * a change was made before our delete (a late echo or edit) and must not resurrect the record; the
 * delete time cannot tell, being another system's clock. Absent from the map: unknown (read failed).
 */
async function sourcesGone(ctx: EngineContext, rows: readonly InboxRow[], now: number): Promise<Map<string, Set<string>>> {
  const ask = new Map<string, { system: string; entity: string; keys: Set<string> }>();
  for (const row of rows) {
    if (row.event.op !== 'upsert') continue;
    const t = ctx.store.tombstones.get(ctx.flowId, row.event.system, row.event.entity, row.event.key, now);
    if (!t?.bySync) continue;
    const k = `${row.event.system}\u0000${row.event.entity}`;
    let q = ask.get(k);
    if (!q) ask.set(k, (q = { system: row.event.system, entity: row.event.entity, keys: new Set() }));
    q.keys.add(row.event.key);
  }
  const out = new Map<string, Set<string>>();
  await Promise.all(
    [...ask].map(async ([k, q]) => {
      const connector = ctx.connectors.get(q.system);
      if (!connector) return;
      try {
        const found = new Set((await connector.readByKeys(q.entity, [...q.keys])).map((r) => r.key));
        out.set(k, new Set([...q.keys].filter((key) => !found.has(key))));
      } catch {
        /* unknown: decide() falls back to comparing times */
      }
    }),
  );
  return out;
}
