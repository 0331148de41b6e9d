import type { DirectionKey } from '../../../shared/api/contract.js';
import type { SyncEdge } from '../../../shared/flow/schema.js';
import { directionsOf, sourceSide, targetSide } from './sides.js';

/**
 * Whether anything will read the shadow of a record this route writes to (docs/architecture.md,
 * "Shadows"). decide() reads a target's shadow to tell echoes of our writes from the target's own
 * changes, to find conflicts on shared fields, to revert a non-owner's edit to the owner's value
 * and to skip values the target already holds; each of those needs the target record to be
 * captured (some route of the flow reads its system and entity) or the edge to run both ways. On a
 * one-way edge into an entity nothing captures, the only readers left are the last two, and there
 * the shadow holds nothing the source's shadow does not: the runtime's own writes. Writing it then
 * costs a JSON, a seal and a row per change for no one.
 *
 * `captured` is the set of `system\0entity` some route reads from (capturedEntities()).
 */
export function targetShadowNeeded(sync: SyncEdge, direction: DirectionKey, captured: ReadonlySet<string>): boolean {
  if (sync.direction === 'both') return true;
  const t = targetSide(direction);
  if (sync.fields.some((m) => m.owner === t)) return true;
  return captured.has(`${sync[t].system}\u0000${sync[t].entity}`);
}

/** Every `system\0entity` a sync of the flow reads changes from, enabled or not (it may be enabled later). */
export function capturedEntities(syncs: Iterable<SyncEdge>): Set<string> {
  const out = new Set<string>();
  for (const sync of syncs) {
    for (const d of directionsOf(sync)) {
      const s = sourceSide(d);
      out.add(`${sync[s].system}\u0000${sync[s].entity}`);
    }
  }
  return out;
}
