import type { FlowDocument, Side } from '../../../shared/flow/schema.js';
import type { Connector, WriteOp } from '../connectors/types.js';
import type { FieldConflict } from '../engine/decide.js';
import { patchShadow } from '../engine/shadow-patch.js';
import { sourceSide } from '../engine/sides.js';
import { applyTransforms, type TransformContext } from '../engine/transforms.js';
import { RUNTIME_ORIGIN_PREFIX } from '../../../shared/events.js';
import type { Store } from '../store/store.js';

export class ConflictResolutionError extends Error {}

export type ConflictChoice = { keep: Side } | { value: unknown };

export interface ConflictResolutionDeps {
  store: Store;
  flow: FlowDocument;
  /** The open connectors of the sync's two systems (the running flow's own when it runs). */
  connectors: ReadonlyMap<string, Connector>;
  /** Whether the system's capture shows our origin tag (a running engine knows; a stopped flow does not). */
  tagsWrites?: (systemId: string) => boolean;
  transformContext?: TransformContext;
  now: number;
}

/**
 * Resolve a conflict from the review queue: write the chosen value of each conflicting field to
 * both records (through each side's transforms), remember it in both shadows so the echoes are
 * recognised, and remove the entry. Nothing changes if a write fails; the entry stays.
 */
export async function resolveConflict(deps: ConflictResolutionDeps, dlqId: number, choice: ConflictChoice): Promise<void> {
  const { store, flow, now } = deps;
  const entry = store.dlq.get(dlqId);
  if (!entry || entry.flowId !== flow.id) throw new ConflictResolutionError(`there is no conflict ${dlqId} in flow "${flow.id}"`);
  if (entry.errorClass !== 'conflict') throw new ConflictResolutionError(`entry ${dlqId} is a ${entry.errorClass} error, not a conflict: replay or discard it instead`);
  const sync = flow.syncs.find((s) => s.id === entry.syncId);
  if (!sync) throw new ConflictResolutionError(`the sync "${entry.syncId}" no longer exists: discard the entry`);
  const detail = (entry.detail ?? {}) as { conflicts?: FieldConflict[]; targetKey?: string | null };
  const s = sourceSide(entry.direction);
  const otherKey = store.links.other(flow.id, sync.id, s, entry.key) ?? detail.targetKey ?? null;
  const keys: Record<Side, string | null> = { a: s === 'a' ? entry.key : otherKey, b: s === 'b' ? entry.key : otherKey };
  const values: Record<Side, Record<string, unknown>> = { a: {}, b: {} };
  for (const c of detail.conflicts ?? []) {
    const m = sync.fields.find((f) => f.a === c.a && f.b === c.b);
    if (!m) continue;
    if ('keep' in choice) {
      const chosen = choice.keep === 'a' ? c.aValue : c.bValue;
      values[choice.keep][choice.keep === 'a' ? c.a : c.b] = chosen;
      if (choice.keep === 'a') values.b[c.b] = applyTransforms(chosen, m.toB, deps.transformContext);
      else values.a[c.a] = applyTransforms(chosen, m.toA, deps.transformContext);
    } else {
      values.a[c.a] = choice.value;
      values.b[c.b] = applyTransforms(choice.value, m.toB, deps.transformContext);
    }
  }
  const origin = `${RUNTIME_ORIGIN_PREFIX}${flow.id}`;
  const writes = (['a', 'b'] as const).filter((side) => keys[side] !== null && Object.keys(values[side]).length > 0);
  const results = await Promise.all(
    writes.map(async (side) => {
      const connector = deps.connectors.get(sync[side].system);
      if (!connector) throw new ConflictResolutionError(`system "${sync[side].system}" is not open: start the flow, then resolve`);
      const op: WriteOp = { kind: 'upsert', key: keys[side], fields: values[side], idempotencyKey: `conflict:${dlqId}:${side}`, sourceTime: now };
      const [r] = await connector.write(sync[side].entity, [op], origin);
      return { side, r };
    }),
  );
  const failed = results.find((x) => !x.r?.ok);
  if (failed) {
    const r = failed.r;
    throw new ConflictResolutionError(`writing the chosen value to ${sync[failed.side].system} failed: ${r && !r.ok ? r.error.message : 'no result'}`);
  }
  store.transaction(() => {
    for (const { side, r } of results) {
      const system = sync[side].system;
      const entity = sync[side].entity;
      const prev = store.shadows.get(flow.id, system, entity, keys[side]!) ?? { fields: {} };
      store.shadows.put(flow.id, system, entity, keys[side]!, patchShadow(prev, values[side], now, !(deps.tagsWrites?.(system) ?? false), r?.ok ? r.version : undefined));
    }
    store.dlq.remove(dlqId);
  });
}
