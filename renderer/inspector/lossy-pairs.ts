import type { SyncEdge } from '../../shared/flow/schema.js';
// The same conversion table preflight applies (docs/values.md).
import { conversionOf } from '../../shared/values/conversions.js';

export interface DiscoveredLike {
  name: string;
  type: string;
  nativeType?: string;
  nullable: boolean;
  primaryKey: boolean;
}

export interface LossyPair {
  from: string;
  to: string;
  why: string;
}

/**
 * Mapped pairs whose values the target would change without an error (docs/values.md), in each
 * direction the edge writes, from the discovered field types: the inspector warns on them before
 * go-live, as preflight's value check does. A transform changes values on purpose and is skipped.
 */
export function lossyPairs(sync: Pick<SyncEdge, 'direction' | 'fields'>, kinds: { a: string; b: string }, names: { a: string; b: string }, fields: { a: DiscoveredLike[]; b: DiscoveredLike[] }): LossyPair[] {
  const out: LossyPair[] = [];
  const directions = sync.direction === 'both' ? (['a-to-b', 'b-to-a'] as const) : [sync.direction];
  for (const d of directions) {
    const [s, t] = d === 'a-to-b' ? (['a', 'b'] as const) : (['b', 'a'] as const);
    for (const m of sync.fields) {
      if (m.owner !== s && m.owner !== 'shared') continue;
      if ((t === 'b' ? m.toB : m.toA).length > 0) continue;
      const sf = fields[s].find((x) => x.name === m[s]);
      const tf = fields[t].find((x) => x.name === m[t]);
      if (!sf || !tf) continue;
      const c = conversionOf({ kind: kinds[s], field: sf }, { kind: kinds[t], field: tf });
      if (c.exactness === 'lossy') out.push({ from: `${names[s]} ${sf.name} (${sf.nativeType ?? sf.type})`, to: `${names[t]} ${tf.name} (${tf.nativeType ?? tf.type})`, why: c.why });
    }
  }
  return out;
}
