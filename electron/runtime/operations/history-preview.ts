import type { DirectionKey, HistoryPreviewResult, HistoryPreviewRow } from '../../../shared/api/contract.js';
import type { FlowDocument } from '../../../shared/flow/schema.js';
import { ApiError } from '../api/handlers.js';
import type { OpenedSystem } from '../connectors/system-connections.js';
import type { EntityInfo, SourceRecord } from '../connectors/types.js';
import { previewSync } from '../engine/preview.js';
import { directionsOf, sourceSide, targetSide } from '../engine/sides.js';
import { normalizeMatch } from '../engine/values.js';
import type { HistoryEvent } from '../store/edge-history.js';
import type { Store } from '../store/store.js';
import type { TransformContext } from '../engine/transforms.js';

/**
 * What-if on history: the candidate flow's sync decides the edge's last applied events again,
 * against the target records as they are now (real reads); nothing is written.
 */
export async function runHistoryPreview(
  flow: FlowDocument,
  syncId: string,
  history: readonly HistoryEvent[],
  store: Store,
  systems: ReadonlyMap<string, OpenedSystem>,
  now: number,
  transformContext?: TransformContext,
): Promise<HistoryPreviewResult> {
  const sync = flow.syncs.find((s) => s.id === syncId);
  if (!sync) throw new ApiError('not_found', `flow "${flow.id}" has no sync "${syncId}": use one of ${flow.syncs.map((s) => `"${s.id}"`).join(', ')}`);
  const skipped: HistoryPreviewResult['skipped'] = [];
  const rows: HistoryPreviewRow[] = [];
  const covered = new Set(directionsOf(sync));
  // Oldest first, as they were applied.
  const ordered = [...history].sort((x, y) => x.id - y.id);
  for (const direction of ['a-to-b', 'b-to-a'] as DirectionKey[]) {
    const events = ordered.filter((h) => h.direction === direction);
    if (events.length === 0) continue;
    if (!covered.has(direction)) {
      for (const h of events) skipped.push({ eventId: h.event.eventId, reason: `the candidate no longer syncs ${direction === 'a-to-b' ? 'a → b' : 'b → a'}` });
      continue;
    }
    const upserts = events.filter((h) => h.event.op === 'upsert');
    for (const h of events) if (h.event.op !== 'upsert') skipped.push({ eventId: h.event.eventId, reason: 'a delete: the delete policy decides it, not the mapping' });
    if (upserts.length === 0) continue;
    const s = sourceSide(direction);
    const t = targetSide(direction);
    const target = systems.get(sync[t].system)?.connector;
    if (!target) throw new ApiError('bad_request', `sync "${syncId}" connects systems that are not open`);
    const samples: SourceRecord[] = upserts.map((h) => ({ key: h.event.key, fields: h.event.fields }));
    const links = new Map<string, string>();
    for (const r of samples) {
      const other = store.links.other(flow.id, sync.id, s, r.key);
      if (other !== null) links.set(r.key, other);
    }
    const matchValues = samples.map((r) => r.fields[sync.matchKey[s]]).filter((v) => normalizeMatch(v, sync.matchKey.normalize) !== null);
    const [linked, matched, targetEntities] = await Promise.all([
      links.size ? target.readByKeys(sync[t].entity, [...new Set(links.values())]) : Promise.resolve([]),
      matchValues.length ? target.findByField(sync[t].entity, sync.matchKey[t], matchValues, sync.matchKey.normalize) : Promise.resolve([]),
      target.discover().catch(() => [] as EntityInfo[]),
    ]);
    const seen = new Set<string>();
    const targets = [...linked, ...matched].filter((r) => (seen.has(r.key) ? false : (seen.add(r.key), true)));
    const info = targetEntities.find((e) => e.name === sync[t].entity);
    // One event at a time, so two events of one record are each shown (not flagged as duplicates).
    for (let i = 0; i < upserts.length; i++) {
      const h = upserts[i]!;
      const result = previewSync({ sync, direction, samples: [samples[i]!], targets, links, targetFields: info && !info.openFields ? new Map(info.fields.map((f) => [f.name, f])) : null, now, transformContext });
      for (const row of result.rows) rows.push({ ...row, direction, eventId: h.event.eventId, appliedAt: h.appliedAt });
    }
  }
  rows.sort((x, y) => y.appliedAt - x.appliedAt);
  return { syncId, events: history.length, rows, skipped, wrote: 0 };
}
