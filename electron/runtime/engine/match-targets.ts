import type { WriteOp, WriteResult } from '../connectors/types.js';
import { noteAvailability, thrownError } from './batch-write.js';
import type { EngineContext } from './engine-context.js';
import type { PlannedChange } from './planned-change.js';
import { sourceSide, targetSide } from './sides.js';
import { normalizeMatch } from './values.js';

/**
 * Record matching for records not linked yet: one read per target (all match values of the batch),
 * then per change: exactly one unlinked candidate → update it; several → invalid (duplicates to
 * clean up first); none free (all linked to other records) → create a new one. A record already
 * linked to another is never taken over, so two source records never share one target.
 *
 * The result is final: writers do not look again. An op keeps `match` only when nothing was found
 * (the writer creates the record with that value); a found record is addressed by its key. When
 * the read fails, the change is not written: its outcome is the read's error (an unavailable target
 * pauses its edge, a transient error is retried).
 */
export async function matchTargets(ctx: EngineContext, planned: readonly PlannedChange[]): Promise<void> {
  const { store, flowId } = ctx;
  const groups = new Map<string, { system: string; entity: string; field: string; normalize: 'exact' | 'lowercase-trim'; items: PlannedChange[] }>();
  for (const p of planned) {
    const op = p.decision.op;
    if (p.decision.kind !== 'write' || op?.kind !== 'upsert' || op.key !== null || !op.match) continue;
    const k = `${p.targetSystem}\u0000${p.targetEntity}\u0000${op.match.field}\u0000${op.match.normalize}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { system: p.targetSystem, entity: p.targetEntity, field: op.match.field, normalize: op.match.normalize, items: [] }));
    g.items.push(p);
  }
  await Promise.all(
    [...groups.values()].map(async (g) => {
      const connector = ctx.connectors.get(g.system);
      if (!connector) return;
      let found: { key: string; fields: Record<string, unknown> }[];
      try {
        found = await connector.findByField(g.entity, g.field, g.items.map((p) => (p.decision.op as { match: { value: unknown } }).match.value), g.normalize);
      } catch (e) {
        const error = thrownError(e);
        // An outage reads the same whichever call met it; a record-level failure says it was the match.
        const message = error.errorClass === 'unavailable' ? error.message : `finding ${g.entity} records by ${g.field} failed: ${error.message}`;
        const failed: WriteResult = { ok: false, error: { ...error, message } };
        noteAvailability(ctx, g.system, [failed]);
        const at = ctx.clock.now();
        for (const p of g.items) {
          p.opResult = failed;
          p.finishedAt = at;
        }
        return;
      }
      const byValue = new Map<string, string[]>();
      for (const r of found) {
        const v = normalizeMatch(r.fields[g.field], g.normalize);
        if (v !== null) byValue.set(v, [...(byValue.get(v) ?? []), r.key]);
      }
      for (const p of g.items) {
        const op = p.decision.op as Extract<WriteOp, { kind: 'upsert' }>;
        const { sync, direction } = p.route;
        const t = targetSide(direction);
        const sourceKey = p.rows[0]!.event.key;
        const all = byValue.get(normalizeMatch(op.match!.value, g.normalize) ?? '') ?? [];
        const free = all.filter((k) => {
          const owner = store.links.other(flowId, sync.id, t, k);
          return owner === null || owner === sourceKey;
        });
        if (free.length > 1) {
          p.decision = {
            ...p.decision,
            kind: 'invalid',
            op: undefined,
            error: { errorClass: 'validation', message: `"${String(op.match!.value)}" matches ${free.length} ${g.entity} records (${free.join(', ')}) by ${g.field}: merge or fix the duplicates, then replay` },
          };
        } else if (free.length === 1) {
          p.decision = { ...p.decision, op: { ...op, key: free[0]!, match: undefined, ifMissing: 'skip' } };
        } else if (all.length > 0) {
          // Every match is already synced with another record: this one is a twin of that record
          // (e.g. entered by hand on this side just after we created it there). Creating another
          // would duplicate the record on the other side, and taking one over would unlink it.
          const s = sourceSide(direction);
          const value = normalizeMatch(op.match!.value, g.normalize);
          const partners = all.map((k) => store.links.other(flowId, sync.id, t, k)).filter((k): k is string => k !== null);
          const now = await twinAtSource(ctx, p.sourceSystem, sync[s].entity, [sourceKey], sync.matchKey[s], g.normalize);
          const original = now.get(sourceKey) === value ? await twinAtSource(ctx, p.sourceSystem, sync[s].entity, partners, sync.matchKey[s], g.normalize) : new Map<string, string | null>();
          if (now.get(sourceKey) !== value || ![...original.values()].includes(value)) {
            // Not known to be a twin now (it or the record it duplicates is gone or has another
            // value since, or a read failed): it gets its own record, which later changes (a
            // delete, the new value) then update.
            p.decision = { ...p.decision, op: { ...op, match: undefined } };
            continue;
          }
          const synced = all.map((k) => `${g.entity} ${k}, which is already synced with ${sync[s].entity} ${store.links.other(flowId, sync.id, t, k) ?? '?'}`);
          p.decision = {
            ...p.decision,
            kind: 'invalid',
            op: undefined,
            revert: undefined,
            error: {
              errorClass: 'validation',
              message:
                `duplicate: ${sync[s].entity} ${sourceKey} has ${sync.matchKey[s]} ${JSON.stringify(String(op.match!.value))}, like ${synced.join('; ')}: ` +
                `merge the two ${sync[s].entity} records (or give this one its own ${sync.matchKey[s]}), then replay or discard this entry`,
            },
          };
        }
      }
    }),
  );
}

/**
 * Records' match values as their source holds them now (normalized): '' for a record that is gone,
 * null when unknown (the read failed). A duplicate is only reported while it still is one.
 */
async function twinAtSource(ctx: EngineContext, system: string, entity: string, keys: string[], field: string, normalize: 'exact' | 'lowercase-trim'): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>(keys.map((k) => [k, null]));
  const connector = ctx.connectors.get(system);
  if (!connector || keys.length === 0) return out;
  try {
    const found = new Map((await connector.readByKeys(entity, keys)).map((r) => [r.key, r.fields]));
    for (const k of keys) out.set(k, found.has(k) ? (normalizeMatch(found.get(k)![field], normalize) ?? '') : '');
  } catch {
    /* unknown */
  }
  return out;
}
