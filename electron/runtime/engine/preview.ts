import { contractOf, contractViolations } from '../../../shared/ai/contract.js';
import { scanText } from '../../../shared/ai/scanner.js';
import type { AiPreview, DirectionKey, PreviewResult, PreviewRow } from '../../../shared/api/contract.js';
import type { SyncEdge } from '../../../shared/flow/schema.js';
import type { FieldInfo, SourceRecord } from '../connectors/types.js';
import type { RecordShadow } from '../store/shadows.js';
import { decide } from './decide.js';
import { applyTransforms, type TransformContext } from './transforms.js';
import { sourceSide, targetSide } from './sides.js';
import { normalizeMatch } from './values.js';
import { recordDisplayName } from '../../../shared/records/display-name.js';

export interface PreviewInput {
  sync: SyncEdge;
  direction: DirectionKey;
  samples: SourceRecord[];
  /** Target records that match the samples (by link or match key), as read from the target. */
  targets: SourceRecord[];
  /** Existing links: source key → target key. */
  links: ReadonlyMap<string, string>;
  targetFields: ReadonlyMap<string, FieldInfo> | null;
  now: number;
  /** Token keys for masking transforms (an AI feed's tokens). */
  transformContext?: TransformContext;
}

/** An AI feed's record, field by field: the original, what the masking makes of it, the contract and the scanner. */
function aiPreview(sync: SyncEdge, s: 'a' | 'b', t: 'a' | 'b', sample: SourceRecord, ctx: TransformContext | undefined): AiPreview {
  const fields: AiPreview['fields'] = [];
  const findings: AiPreview['findings'] = [];
  const masked: Record<string, unknown> = {};
  for (const m of sync.fields) {
    if (!(m[s] in sample.fields)) continue;
    const original = sample.fields[m[s]];
    let value: unknown = null;
    let error: string | null = null;
    try {
      value = applyTransforms(original, t === 'b' ? m.toB : m.toA, ctx);
      masked[m[t]] = value;
    } catch (e) {
      error = (e as Error).message;
    }
    fields.push({ source: m[s], target: m[t], class: m.class ?? null, original, masked: value, error });
    if (typeof original === 'string') for (const f of scanText(original)) findings.push({ field: m[s], ...f });
  }
  return { fields, contract: contractViolations(masked, contractOf(sync)), findings };
}

function asShadow(r: SourceRecord): RecordShadow {
  // The target's current values, as if it had reported them long ago: the preview shows what the
  // mapping would write on top of them.
  return { fields: Object.fromEntries(Object.entries(r.fields).map(([k, v]) => [k, { v, t: 0, by: 'self' as const }])) };
}

/**
 * What syncing these sample records would do, per record, with nothing written: the same decide()
 * the engine runs, fed with real records read from both systems.
 */
export function previewSync(input: PreviewInput): PreviewResult {
  const { sync, direction } = input;
  const s = sourceSide(direction);
  const t = targetSide(direction);
  const byKey = new Map(input.targets.map((r) => [r.key, r]));
  const byMatch = new Map<string, SourceRecord[]>();
  for (const r of input.targets) {
    const m = normalizeMatch(r.fields[sync.matchKey[t]], sync.matchKey.normalize);
    if (m === null) continue;
    const list = byMatch.get(m) ?? [];
    list.push(r);
    byMatch.set(m, list);
  }
  const seenMatch = new Map<string, number>();
  const audit: PreviewResult['audit'] = { duplicateMatchKeys: [], missingRequired: [], multipleMatches: [] };
  for (const r of input.samples) {
    const m = normalizeMatch(r.fields[sync.matchKey[s]], sync.matchKey.normalize);
    if (m !== null) seenMatch.set(m, (seenMatch.get(m) ?? 0) + 1);
    for (const f of sync.fields) {
      const v = r.fields[f[s]];
      if (f.required && (v === null || v === undefined || v === '')) audit.missingRequired.push({ key: r.key, field: f[s] });
    }
  }
  for (const [m, n] of seenMatch) if (n > 1) audit.duplicateMatchKeys.push(m);

  const rows: PreviewRow[] = input.samples.map((sample) => ({ ...rowFor(sample), label: recordDisplayName(sample.fields) }));
  return { syncId: sync.id, direction, rows, audit, wrote: 0 };

  function rowFor(sample: SourceRecord): PreviewRow {
    const linkedKey = input.links.get(sample.key) ?? null;
    const m = normalizeMatch(sample.fields[sync.matchKey[s]], sync.matchKey.normalize);
    let target: SourceRecord | null = linkedKey !== null ? (byKey.get(linkedKey) ?? null) : null;
    if (!target && m !== null) {
      const candidates = byMatch.get(m) ?? [];
      if (candidates.length > 1) {
        audit.multipleMatches.push(sample.key);
        return { sourceKey: sample.key, targetKey: null, action: 'invalid', changes: [], reason: `matches ${candidates.length} ${sync[t].entity} records by ${sync.matchKey[t]} "${m}": remove the duplicates first` };
      }
      target = candidates[0] ?? null;
    }
    // Two source records with one match value and nothing to pair with: only one can be created; the
    // other would be reported as a duplicate (to the DLQ), so neither is shown as a plain Create.
    if (!target && linkedKey === null && m !== null && (seenMatch.get(m) ?? 0) > 1) {
      return { sourceKey: sample.key, targetKey: null, action: 'invalid', changes: [], reason: `duplicate: ${seenMatch.get(m)} ${sync[s].entity} records share ${sync.matchKey[s]} "${m}" — merge them first, or only one reaches the target` };
    }
    const decision = decide({
      sync,
      direction,
      event: { eventId: `preview:${sample.key}`, system: sync[s].system, entity: sync[s].entity, key: sample.key, op: 'upsert', fields: sample.fields, sourceTime: input.now, captureTime: input.now, origin: 'preview' },
      sourceShadow: null,
      targetShadow: target ? asShadow(target) : null,
      targetKey: target?.key ?? null,
      sourceTombstone: null,
      targetTombstone: null,
      runtimeOrigin: 'synccanvas:preview',
      targetFields: input.targetFields,
      sourceFields: null,
      tombstoneTtlMs: 0,
      transformContext: input.transformContext,
    });
    const targetKey = target?.key ?? null;
    const ai = sync.aiFeed ? { ai: aiPreview(sync, s, t, sample, input.transformContext) } : {};
    if (decision.kind === 'invalid') return { sourceKey: sample.key, targetKey, action: 'invalid', changes: [], reason: decision.error?.message ?? 'invalid', ...ai };
    if (decision.conflicts.length > 0) {
      return {
        sourceKey: sample.key,
        targetKey,
        action: 'conflict',
        changes: decision.conflicts.map((c) => ({ field: c[t], from: t === 'a' ? c.aValue : c.bValue, to: s === 'a' ? c.aValue : c.bValue })),
        reason: 'both sides hold different values for a shared field: the conflict policy decides',
      };
    }
    if (decision.kind === 'write' && decision.op?.kind === 'upsert') {
      const written = { ...(target ? {} : (decision.op.insertOnly ?? {})), ...decision.op.fields };
      // A value the target's allowed-values rule refuses would fail there: show it as Invalid now.
      const refused = Object.entries(written).find(([field, v]) => {
        const allowed = input.targetFields?.get(field)?.allowedValues;
        return allowed !== undefined && v !== null && v !== undefined && !allowed.includes(typeof v === 'string' ? v : JSON.stringify(v));
      });
      if (refused) {
        const allowed = input.targetFields!.get(refused[0])!.allowedValues!;
        return { sourceKey: sample.key, targetKey, action: 'invalid', changes: [{ field: refused[0], from: target ? (target.fields[refused[0]] ?? null) : null, to: refused[1] }], reason: `${refused[0]}: "${String(refused[1])}" is not a value ${sync[t].entity} allows (${allowed.join(', ')})` };
      }
      const changes = Object.entries(written).map(([field, to]) => ({ field, from: target ? (target.fields[field] ?? null) : null, to }));
      return { sourceKey: sample.key, targetKey, action: target ? 'update' : 'create', changes, reason: null, ...ai };
    }
    return { sourceKey: sample.key, targetKey, action: 'no-op', changes: [], reason: null, ...ai };
  }
}
