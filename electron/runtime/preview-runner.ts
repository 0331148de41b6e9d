import type { DirectionKey, PreviewResult, RecordComparison } from '../../shared/api/contract.js';
import type { SyncEdge } from '../../shared/flow/schema.js';
import type { Connector, SourceRecord, StoredForm } from './connectors/types.js';
import { directionsOf } from './engine/sides.js';
import type { FlowDocument } from '../../shared/flow/schema.js';
import { ApiError } from './api/handlers.js';
import type { OpenedSystem } from './connectors/system-connections.js';
import type { EntityInfo } from './connectors/types.js';
import { previewSync } from './engine/preview.js';
import type { TransformContext } from './engine/transforms.js';
import { auditContactValues } from './operations/value-audit.js';
import { sourceSide, targetSide } from './engine/sides.js';
import { normalizeMatch } from './engine/values.js';
import type { Store } from './store/store.js';

/** Read samples from the source and their matches from the target (real reads), then preview; writes nothing. */
export async function runPreview(
  flow: FlowDocument,
  syncId: string,
  limit: number,
  store: Store,
  systems: ReadonlyMap<string, OpenedSystem>,
  opts: { direction?: DirectionKey; transformContext?: TransformContext } = {},
): Promise<PreviewResult> {
  const asked = opts.direction;
  const sync = flow.syncs.find((s) => s.id === syncId);
  if (!sync) throw new ApiError('not_found', `flow "${flow.id}" has no sync "${syncId}": use one of ${flow.syncs.map((s) => `"${s.id}"`).join(', ')}`);
  if (asked && sync.direction !== 'both' && asked !== sync.direction) {
    throw new ApiError('bad_request', `sync "${syncId}" runs ${sync.direction} only: preview that direction, or make the sync two-way`);
  }
  const direction: DirectionKey = asked ?? (sync.direction === 'b-to-a' ? 'b-to-a' : 'a-to-b');
  const s = sourceSide(direction);
  const t = targetSide(direction);
  const source = systems.get(sync[s].system)?.connector;
  const target = systems.get(sync[t].system)?.connector;
  if (!source || !target) throw new ApiError('bad_request', `sync "${syncId}" connects systems that are not open`);
  const samples = await source.readSamples(sync[s].entity, limit);
  const result = await previewOf(flow, sync, direction, samples, store, target, opts.transformContext);
  return { ...result, audit: { ...result.audit, ...auditContactValues(sync, s, samples) } };
}

/** Preview given source records against what the target holds now (by link or match key). */
async function previewOf(flow: FlowDocument, sync: SyncEdge, direction: DirectionKey, samples: SourceRecord[], store: Store, target: Connector, transformContext?: TransformContext): Promise<PreviewResult> {
  const s = sourceSide(direction);
  const t = targetSide(direction);
  const links = new Map<string, string>();
  for (const r of samples) {
    const other = store.links.other(flow.id, sync.id, s, r.key);
    if (other !== null) links.set(r.key, other);
  }
  const matchValues = samples.map((r) => r.fields[sync.matchKey[s]]).filter((v) => normalizeMatch(v, sync.matchKey.normalize) !== null);
  const [linked, matched, targetEntities] = await Promise.all([
    links.size ? target.readByKeys(sync[t].entity, [...links.values()]) : Promise.resolve([]),
    matchValues.length ? target.findByField(sync[t].entity, sync.matchKey[t], matchValues, sync.matchKey.normalize) : Promise.resolve([]),
    target.discover().catch(() => [] as EntityInfo[]),
  ]);
  const seen = new Set<string>();
  const targets = [...linked, ...matched].filter((r) => (seen.has(r.key) ? false : (seen.add(r.key), true)));
  const info = targetEntities.find((e) => e.name === sync[t].entity);
  const result = previewSync({ sync, direction, samples, targets, links, targetFields: info && !info.openFields ? new Map(info.fields.map((f) => [f.name, f])) : null, now: Date.now(), transformContext });
  return withStoredForms(result, target, sync[t].entity);
}

/**
 * Each value a Create or Update would write, as the target would store it (its own conversion, e.g.
 * a number into a TEXT column, a numeric into a double), and a value it would refuse turns the row
 * Invalid with the target's reason. A target that cannot say (no storedForms, or unreachable now)
 * leaves the preview as it was: the write still checks every value.
 */
async function withStoredForms(result: PreviewResult, target: Connector, entity: string): Promise<PreviewResult> {
  if (!target.storedForms) return result;
  const writing = result.rows.filter((r) => (r.action === 'create' || r.action === 'update') && r.changes.length > 0);
  if (writing.length === 0) return result;
  let forms: Record<string, StoredForm>[];
  try {
    forms = await target.storedForms(entity, writing.map((r) => Object.fromEntries(r.changes.map((c) => [c.field, c.to]))));
  } catch {
    return result;
  }
  const byRow = new Map(writing.map((r, i) => [r, forms[i] ?? {}]));
  const rows = result.rows.map((row) => {
    const f = byRow.get(row);
    if (!f) return row;
    const refused = row.changes.map((c) => f[c.field]).find((x): x is { refused: string } => x !== undefined && 'refused' in x);
    const changes = row.changes.map((c) => {
      const form = f[c.field];
      return form && 'stored' in form ? { ...c, stored: form.stored } : c;
    });
    return refused ? { ...row, action: 'invalid' as const, changes, reason: refused.refused } : { ...row, changes };
  });
  return { ...result, rows };
}

/**
 * Whether one record agrees across an edge now: each direction's preview of it (no-op when the
 * other side already holds what the mapping would write; the differing fields otherwise), and its
 * current values on the side asked about. Reads only.
 */
export async function compareRecord(flow: FlowDocument, syncId: string, side: 'a' | 'b', key: string, store: Store, systems: ReadonlyMap<string, OpenedSystem>): Promise<RecordComparison> {
  const sync = flow.syncs.find((x) => x.id === syncId);
  if (!sync) throw new ApiError('not_found', `flow "${flow.id}" has no sync "${syncId}": use one of ${flow.syncs.map((x) => `"${x.id}"`).join(', ')}`);
  const connector = (sideOf: 'a' | 'b') => {
    const c = systems.get(sync[sideOf].system)?.connector;
    if (!c) throw new ApiError('bad_request', `sync "${syncId}" connects systems that are not open`);
    return c;
  };
  const [record] = await connector(side).readByKeys(sync[side].entity, [key]);
  const directions: RecordComparison['directions'] = [];
  for (const direction of directionsOf(sync)) {
    const s = sourceSide(direction);
    let sources: SourceRecord[] = [];
    if (s === side) sources = record ? [record] : [];
    else {
      const other = store.links.other(flow.id, sync.id, side, key);
      sources = other !== null ? await connector(s).readByKeys(sync[s].entity, [other]) : [];
    }
    const result = sources.length > 0 ? await previewOf(flow, sync, direction, sources, store, connector(targetSide(direction))) : null;
    directions.push({ direction, row: result?.rows[0] ?? null });
  }
  return { fields: record?.fields ?? null, directions };
}
