import type { DirectionKey } from '../../../shared/api/contract.js';
import type { ChangeEvent } from '../../../shared/events.js';
import type { ErrorClass, SyncError } from '../../../shared/errors.js';
import type { FieldMapping, SyncEdge } from '../../../shared/flow/schema.js';
import type { FieldInfo, WriteOp } from '../connectors/types.js';
import type { RecordShadow } from '../store/shadows.js';
import type { Tombstone } from '../store/tombstones.js';
import { sourceSide, targetSide } from './sides.js';
import { contractOf, contractViolations } from '../../../shared/ai/contract.js';
import { feedProblems } from '../../../shared/ai/feed-policy.js';
import { describeFindings, scanText } from '../../../shared/ai/scanner.js';
import { applyTransforms as applyTransformsWith, TransformError, type TransformContext } from './transforms.js';
import { typeMismatch } from './type-check.js';
import { normalizeMatch, sameValue } from './values.js';

/**
 * The heart of the sync semantics, as one pure function: given a change and what the runtime knows
 * of both records, decide what to write (if anything) and what to remember. No I/O, no clock, no
 * randomness: the engine feeds it and acts on the result, so every rule here is unit- and
 * property-testable.
 */

export interface FieldConflict {
  /** Field name on side a and on side b. */
  a: string;
  b: string;
  aValue: unknown;
  bValue: unknown;
  aTime: number | null;
  bTime: number | null;
}

export type SkipReason = 'echo' | 'stale' | 'no-change' | 'tombstoned' | 'not-linked' | 'delete-ignored' | 'conflict-only';

export interface DecideInput {
  sync: SyncEdge;
  direction: DirectionKey;
  event: ChangeEvent;
  sourceShadow: RecordShadow | null;
  targetShadow: RecordShadow | null;
  /** The linked record on the target side, if any. */
  targetKey: string | null;
  sourceTombstone: Tombstone | null;
  targetTombstone: Tombstone | null;
  /** Origin the runtime tags its own writes with: such changes are echoes by definition. */
  runtimeOrigin: string;
  /** Target entity fields from discovery (for type checks), when known. */
  targetFields: ReadonlyMap<string, FieldInfo> | null;
  /** Source entity fields from discovery (to report schema drift), when known. */
  sourceFields: ReadonlyMap<string, FieldInfo> | null;
  /** Tombstone time-to-live for deletes this decision makes. */
  tombstoneTtlMs: number;
  /** Whether the source tags the runtime's writes with its origin (then echoes never reach decide). */
  sourceTagsOrigin?: boolean;
  /** For a source record the runtime deleted: whether it is gone at the source now (read just before). */
  sourceGone?: boolean;
  /** Token keys for masking transforms (docs/ai-feeds.md). */
  transformContext?: TransformContext;
}

export interface Decision {
  kind: 'write' | 'skip' | 'invalid';
  skipReason?: SkipReason;
  /** The write to the target system. */
  op?: WriteOp;
  /** An ownership revert: the owner's values written back to the source record. */
  revert?: WriteOp;
  /** A record-level error (it goes to the DLQ): a decision never finds a system unavailable. */
  error?: SyncError & { errorClass: ErrorClass };
  /** The mapped payload (for the DLQ inspector). */
  payload: Record<string, unknown> | null;
  conflicts: FieldConflict[];
  /** Source field names a non-owner changed. */
  violations: string[];
  unknownFields: string[];
  staleFields: number;
  /** What to remember of the source record once the decision is carried out (null: forget it). */
  nextSourceShadow: RecordShadow | null;
  /** Field values to merge into the target shadow after a successful write. */
  targetShadowPatch: Record<string, unknown> | null;
  /** Field values to merge into the source shadow after a successful revert. */
  revertShadowPatch: Record<string, unknown> | null;
  /** A delete: tombstone both records and drop the link. */
  deletes: { tombstoneSource: Tombstone; tombstoneTarget: Tombstone | null } | null;
  /** The source record was deleted and is now re-created: clear its tombstone. */
  clearSourceTombstone: boolean;
}

function base(input: DecideInput): Decision {
  return {
    kind: 'skip',
    payload: null,
    conflicts: [],
    violations: [],
    unknownFields: [],
    staleFields: 0,
    nextSourceShadow: input.sourceShadow,
    targetShadowPatch: null,
    revertShadowPatch: null,
    deletes: null,
    clearSourceTombstone: false,
  };
}

function invalid(d: Decision, message: string, payload: Record<string, unknown> | null): Decision {
  return { ...d, kind: 'invalid', error: { errorClass: 'validation', message }, payload, nextSourceShadow: d.nextSourceShadow, targetShadowPatch: null, revert: undefined, op: undefined };
}

export function idempotencyKey(event: ChangeEvent, syncId: string, direction: DirectionKey, suffix = ''): string {
  return `${event.eventId}|${syncId}|${direction}${suffix}`;
}

export function decide(input: DecideInput): Decision {
  return input.event.op === 'delete' ? decideDelete(input) : decideUpsert(input);
}

function decideDelete(input: DecideInput): Decision {
  const { sync, direction, event } = input;
  const d = base(input);
  const tombstoneSource: Tombstone = {
    deletedAt: event.sourceTime,
    expiresAt: event.sourceTime + input.tombstoneTtlMs,
    bySync: event.origin === input.runtimeOrigin || (input.sourceTombstone?.bySync ?? false),
  };
  // Our own delete coming back (tagged, or a tombstone we wrote): an echo.
  if (event.origin === input.runtimeOrigin || input.sourceTombstone?.bySync) {
    return { ...d, skipReason: 'echo', nextSourceShadow: null, deletes: { tombstoneSource, tombstoneTarget: null } };
  }
  // A delete older than what we know of the record (a replay after it was re-created) is stale.
  if ((input.sourceShadow?.seen ?? -Infinity) > event.sourceTime) return { ...d, skipReason: 'stale', staleFields: 1 };
  if (sync.deletePolicy.mode === 'ignore') {
    return { ...d, skipReason: 'delete-ignored', nextSourceShadow: null, deletes: { tombstoneSource, tombstoneTarget: null } };
  }
  if (input.targetKey === null) {
    return { ...d, skipReason: 'not-linked', nextSourceShadow: null, deletes: { tombstoneSource, tombstoneTarget: null } };
  }
  const t = targetSide(direction);
  const softField = sync.deletePolicy.mode === 'soft' ? (t === 'a' ? sync.deletePolicy.aField : sync.deletePolicy.bField) : undefined;
  const op: WriteOp = {
    kind: 'delete',
    key: input.targetKey,
    mode: sync.deletePolicy.mode === 'soft' ? 'soft' : 'hard',
    idempotencyKey: idempotencyKey(event, sync.id, direction),
    sourceTime: event.sourceTime,
  };
  if (softField) op.softField = softField;
  return {
    ...d,
    kind: 'write',
    op,
    payload: { delete: input.targetKey, mode: op.mode },
    nextSourceShadow: null,
    deletes: { tombstoneSource, tombstoneTarget: { deletedAt: event.sourceTime, expiresAt: event.sourceTime + input.tombstoneTtlMs, bySync: true } },
  };
}

function decideUpsert(input: DecideInput): Decision {
  const { sync, direction, event, sourceShadow, targetShadow } = input;
  const s = sourceSide(direction);
  const t = targetSide(direction);
  const toTarget = (m: FieldMapping) => (t === 'b' ? m.toB : m.toA);
  const toSource = (m: FieldMapping) => (t === 'b' ? m.toA : m.toB);
  const applyTransforms = (v: unknown, ts: Parameters<typeof applyTransformsWith>[1]) => applyTransformsWith(v, ts, input.transformContext);
  const d = base(input);

  // A record deleted after this change was made must not come back (a late poll, a late echo). When
  // the runtime made the delete, the delete time is another system's clock: ask the source instead.
  const tomb = input.sourceTombstone;
  if (tomb && (tomb.bySync && input.sourceGone !== undefined ? input.sourceGone : event.sourceTime <= tomb.deletedAt)) {
    return { ...d, skipReason: 'tombstoned' };
  }
  const recreated = tomb !== null;

  // Out-of-order delivery of a whole record (webhooks): an older version changes nothing.
  if (event.version !== undefined && sourceShadow?.version !== undefined && event.version < sourceShadow.version) {
    return { ...d, skipReason: 'stale', staleFields: 1 };
  }

  const taggedEcho = event.origin === input.runtimeOrigin;
  // Where the source reports versions and our write's version is known: the event is our write
  // coming back, or older than it (our write landed after it and overwrote the fields it wrote).
  const ours = sourceShadow?.written;
  if (event.version !== undefined && ours?.includes(event.version)) return { ...d, skipReason: 'echo' };
  const next: RecordShadow = { fields: { ...(sourceShadow?.fields ?? {}) } };
  if (sourceShadow?.written) next.written = sourceShadow.written;
  const version = Math.max(event.version ?? -Infinity, sourceShadow?.version ?? -Infinity);
  if (Number.isFinite(version)) next.version = version;
  if (event.origin !== input.runtimeOrigin) next.seen = Math.max(sourceShadow?.seen ?? -Infinity, event.sourceTime);

  if (input.sourceFields) {
    const mapped = new Set(sync.fields.map((m) => m[s]));
    for (const f of Object.keys(event.fields)) if (!input.sourceFields.has(f) && !mapped.has(f)) d.unknownFields.push(f);
  }

  const linked = input.targetKey !== null;
  const write: Record<string, unknown> = {};
  const revertValues: Record<string, unknown> = {};
  // Per reverted field, what the source is believed to hold now: the write-back lands only over it.
  const expectValues: Record<string, unknown> = {};
  const insertOnly: Record<string, unknown> = {};
  let changed = 0;
  let unchangedBySync = 0;

  for (const m of sync.fields) {
    const sf = m[s];
    const tf = m[t];
    if (!(sf in event.fields)) continue; // a missing optional field is not a change
    const value = event.fields[sf];
    const known = sourceShadow?.fields[sf];
    if (known && known.by === 'self' && known.t > event.sourceTime) {
      d.staleFields++;
      continue;
    }
    if (event.version !== undefined && known?.by === 'sync' && known.w !== undefined && event.version < known.w && !sameValue(known.v, value)) {
      // This value was overwritten by our later write. For a shared field that may have been a
      // concurrent edit: apply the conflict policy between it and the value we wrote.
      if (m.owner === 'shared') {
        const w = sync.conflictPolicy.mode === 'newest-wins' ? sync.conflictPolicy.skewToleranceMs : sync.conflictPolicy.windowMs;
        if (event.sourceTime > known.t + w && !(sync.conflictPolicy.mode === 'prefer' && sync.conflictPolicy.side === t)) {
          // The clobbered edit is clearly newer: it wins on both sides.
          next.fields[sf] = { v: value, t: event.sourceTime, by: 'self' };
          changed++;
          try {
            write[tf] = applyTransforms(value, toTarget(m));
          } catch (e) {
            if (e instanceof TransformError) return invalid(d, `field "${sf}": ${e.message}`, { [tf]: value });
            throw e;
          }
          revertValues[sf] = value;
          expectValues[sf] = known.v; // the source holds our write, which clobbered this edit
        } else if (event.sourceTime >= known.t - w) {
          d.conflicts.push({
            a: m.a,
            b: m.b,
            aValue: s === 'a' ? value : targetShadow?.fields[tf]?.v ?? known.v,
            bValue: s === 'b' ? value : targetShadow?.fields[tf]?.v ?? known.v,
            aTime: s === 'a' ? event.sourceTime : known.t,
            bTime: s === 'b' ? event.sourceTime : known.t,
          });
        } else d.staleFields++;
      } else if (m.owner === t) {
        // Made before our write of the owner's value landed: the value is either one we wrote
        // earlier or a non-owner's edit our write already replaced. Either way the owner's value
        // stands; it is not a violation to report (and must not replace what we know the source holds).
        d.staleFields++;
      }
      continue;
    }
    let isChange = !known || !sameValue(known.v, value);
    let echoOfOurs = !isChange && known?.by === 'sync';
    const pending = !input.sourceTagsOrigin && event.version === undefined && known?.p ? known.p : undefined;
    if (known && isChange && pending) {
      // The echo of one of our writes that has not come back yet (we wrote x then z; x arrives):
      // not a change. The source holds that value now; older pending echoes will not come.
      const i = pending.findIndex((pv) => sameValue(pv, value));
      if (i >= 0) {
        isChange = false;
        echoOfOurs = true;
        const rest = pending.slice(i + 1);
        next.fields[sf] = rest.length ? { v: value, t: known.t, by: 'sync', p: rest } : { v: value, t: known.t, by: 'sync' };
      }
    }
    if (isChange && m.owner === t && known?.by === 'sync' && known.w === undefined) {
      // The target owns this field and what we know here is our write of its value. Without our
      // write's version we cannot tell an edit made here after it (a violation: reported, not synced)
      // from a change made *before* it landed that is delivered after it (an old view): if the
      // record took the old value, a later owner change back to it would be skipped as "already
      // there", and the record would keep a value its owner no longer has. So the record keeps our
      // value; the owner's next change of the field is always written.
    } else if (isChange) {
      // A real change. Echoes of our writes still pending arrive after it in the source's log (they
      // were made later there), so they stay remembered.
      next.fields[sf] = pending ? { v: value, t: event.sourceTime, by: 'self', p: pending } : { v: value, t: event.sourceTime, by: 'self' };
    } else if (known && pending && next.fields[sf] === known && known.by === 'sync') {
      // Our latest write came back: nothing of ours is pending any more.
      next.fields[sf] = { v: known.v, t: known.t, by: 'sync' };
    }
    if (!isChange) {
      if (echoOfOurs) unchangedBySync++;
      if (taggedEcho) continue;
      if (linked) {
        // Unchanged here, but the owner's value must still reach the target when the target is known
        // to hold something else (e.g. a record we created from the other side's seed values).
        if (m.owner !== s || !targetShadow?.fields[tf]) continue;
        let mapped: unknown;
        try {
          mapped = applyTransforms(value, toTarget(m));
        } catch {
          continue;
        }
        if (sameValue(targetShadow.fields[tf]!.v, mapped)) continue;
      }
      // Not linked: a new target record needs the whole record.
    } else {
      changed++;
    }
    if (taggedEcho) continue;

    if (m.owner === t) {
      if (!linked && value !== null && value !== undefined) {
        // A record we create has no owner value yet: seed it from the source, never overwrite it later.
        try {
          const seed = applyTransforms(value, toTarget(m));
          insertOnly[tf] = seed;
          // The target owns the field from now on: if its transforms give the source a different
          // spelling of the seed, write that back so both sides agree on the owner's value.
          if (sync.direction === 'both') {
            const back = applyTransforms(seed, toSource(m));
            if (!sameValue(back, value)) {
              revertValues[sf] = back;
              expectValues[sf] = value;
            }
          }
        } catch {
          /* a seed value the transforms reject is simply not seeded */
        }
      }
      if (isChange && linked) {
        d.violations.push(sf);
        const ownerValue = targetShadow?.fields[tf];
        if (sync.ownershipViolation === 'revert' && ownerValue !== undefined && linked) {
          try {
            revertValues[sf] = applyTransforms(ownerValue.v, toSource(m));
            expectValues[sf] = value;
          } catch {
            /* an owner value the reverse transforms reject is left as is; the violation is still counted */
          }
        }
      }
      continue;
    }

    let mapped: unknown;
    try {
      mapped = applyTransforms(value, toTarget(m));
    } catch (e) {
      if (e instanceof TransformError) return invalid(d, `field "${sf}": ${e.message}`, { [tf]: value });
      throw e;
    }

    if (m.owner === 'shared' && isChange) {
      const theirs = targetShadow?.fields[tf];
      if (theirs && theirs.by === 'self' && !sameValue(theirs.v, mapped)) {
        const policy = sync.conflictPolicy;
        const window = policy.mode === 'newest-wins' ? policy.skewToleranceMs : 0;
        const conflict: FieldConflict = {
          a: m.a,
          b: m.b,
          aValue: s === 'a' ? value : theirs.v,
          bValue: s === 'b' ? value : theirs.v,
          aTime: s === 'a' ? event.sourceTime : theirs.t,
          bTime: s === 'b' ? event.sourceTime : theirs.t,
        };
        // The target's edit is the newer one: it stands. The source may hold this older value *after*
        // our write of the newer one (clocks skew; logs don't), so make sure it gets the winner too.
        const keepTheirs = (): void => {
          d.staleFields++;
          try {
            const back = applyTransforms(theirs.v, toSource(m));
            if (!sameValue(back, value)) {
              revertValues[sf] = back;
              expectValues[sf] = value;
            }
          } catch {
            /* a value the reverse transforms reject stays as it is */
          }
        };
        if (policy.mode === 'prefer') {
          if (event.sourceTime < theirs.t - policy.windowMs) {
            keepTheirs();
            continue; // clearly older than the target's edit: not concurrent, the newer one stands
          }
          // Concurrent edits: the preferred side's wins; the other side's is counted and not written.
          if (policy.side !== s && theirs.t >= event.sourceTime - policy.windowMs) {
            d.conflicts.push(conflict);
            continue;
          }
        } else if (event.sourceTime < theirs.t - window) {
          keepTheirs();
          continue; // the target's edit is clearly newer: it flows the other way
        } else if (event.sourceTime <= theirs.t + window) {
          d.conflicts.push(conflict);
          continue; // too close to call: the review queue decides, nothing is silently dropped
        }
      }
    }

    // The source's edit wins a shared field. If the last value we knew there was our own write, that
    // write may have landed after this edit and clobbered it: confirm the winner at the source too.
    if (m.owner === 'shared' && isChange && known?.by === 'sync') {
      revertValues[sf] = value;
      // Written only over our write (the clobber), or as a no-op where the source holds this edit.
      expectValues[sf] = known.v;
    }
    // The target already holds this value (what we wrote, or what it reported): nothing to send.
    if (linked && targetShadow?.fields[tf] && sameValue(targetShadow.fields[tf]!.v, mapped)) continue;
    write[tf] = mapped;
  }

  d.nextSourceShadow = next;
  // A record we already know, with nothing changed, is an echo or a repeat even when it is no
  // longer linked (e.g. our writes coming back after we deleted it): it must not create anything.
  if (!linked && changed === 0 && sourceShadow && d.conflicts.length === 0) {
    return { ...d, skipReason: unchangedBySync > 0 ? 'echo' : 'no-change' };
  }
  if (recreated) d.clearSourceTombstone = true;

  if (taggedEcho) return { ...d, skipReason: 'echo' };

  if (Object.keys(revertValues).length > 0) {
    d.revert = {
      kind: 'upsert',
      key: event.key,
      fields: revertValues,
      idempotencyKey: idempotencyKey(event, sync.id, direction, '|revert'),
      sourceTime: event.sourceTime,
      // A correction never creates a record: if it was deleted meanwhile, its delete stands.
      ifMissing: 'skip',
      // Only over what this change saw: an edit made at the source since then is newer and stands
      // (its own change event is decided next).
      expect: expectValues,
    };
    d.revertShadowPatch = revertValues;
  }

  // An unlinked record is matched or created even when it carries none of its own fields (a new
  // record with only fields the other side owns still has to exist there).
  if (Object.keys(write).length === 0 && (linked || Object.keys(insertOnly).length === 0)) {
    if (d.revert) return { ...d, kind: 'write' };
    let skipReason: SkipReason = 'no-change';
    if (d.conflicts.length > 0) skipReason = 'conflict-only';
    else if (changed === 0 && unchangedBySync > 0) skipReason = 'echo';
    else if (d.staleFields > 0) skipReason = 'stale';
    return { ...d, skipReason };
  }

  if (sync.aiFeed) {
    const why = aiFeedRefusal(sync, s, t, write, insertOnly, linked, event.fields, input.transformContext);
    if (why) return invalid(d, why, { ...write, ...insertOnly });
  }

  // Validate against the target schema before anything is written.
  if (input.targetFields) {
    for (const [tf, v] of Object.entries(write)) {
      const info = input.targetFields.get(tf);
      if (!info) return invalid(d, `the target has no field "${tf}": fix the mapping (the target's fields are ${[...input.targetFields.keys()].join(', ')})`, write);
      // A column of the very type the value comes from holds it (SQLite's INTEGER holds 'many' as
      // TEXT; Postgres's int4 holds what int4 printed): a same-type move is checked by the target alone.
      const m = sync.fields.find((x) => x[t] === tf);
      const from = m && (toTarget(m) ?? []).length === 0 ? input.sourceFields?.get(m[s]) : undefined;
      const sameType = from?.nativeType !== undefined && from.nativeType === info.nativeType;
      const why = typeMismatch(v, sameType ? 'unknown' : info.type, info.nullable || info.primaryKey);
      if (why) return invalid(d, `field "${tf}" ${why}${info.nativeType ? `; the target column is ${info.nativeType}` : ''}`, write);
    }
  }

  const op: WriteOp = {
    kind: 'upsert',
    key: input.targetKey,
    fields: write,
    idempotencyKey: idempotencyKey(event, sync.id, direction),
    sourceTime: event.sourceTime,
  };
  if (event.version !== undefined) op.version = event.version;
  if (linked) op.ifMissing = 'skip';
  if (!linked) {
    const matchValue = event.fields[sync.matchKey[s]];
    const normalized = normalizeMatch(matchValue, sync.matchKey.normalize);
    if (normalized === null) {
      return invalid(d, `the record has no "${sync.matchKey[s]}" (the match key), so it cannot be matched to a ${sync[t].entity} record: fill it in at the source`, write);
    }
    for (const m of sync.fields) {
      const v = write[m[t]];
      if (m.required && m.owner !== t && (v === undefined || v === null || v === '')) {
        return invalid(d, `required field "${m[s]}" is missing, so a new ${sync[t].entity} record cannot be created: fill it in at the source`, write);
      }
    }
    // An AI feed matches by the masked value (a token): the raw one must not reach the sink.
    const km = sync.aiFeed ? sync.fields.find((x) => x[s] === sync.matchKey[s]) : undefined;
    op.match = { field: sync.matchKey[t], value: km ? applyTransforms(matchValue, toTarget(km)) : matchValue, normalize: km ? 'exact' : sync.matchKey.normalize };
    if (Object.keys(insertOnly).length > 0) op.insertOnly = insertOnly;
  }
  return { ...d, kind: 'write', op, payload: op.insertOnly ? { ...write, ...op.insertOnly } : write, targetShadowPatch: write };
}

// The policy and contract of a sync, worked out once per sync document rather than per record.
interface FeedPolicy {
  problems: ReturnType<typeof feedProblems>;
  contract: ReturnType<typeof contractOf>;
  /** An update carries only the fields that changed: "required" holds for the record a create makes. */
  updateContract: ReturnType<typeof contractOf>;
}
const feedPolicies = new WeakMap<SyncEdge, FeedPolicy>();
function feedPolicyOf(sync: SyncEdge): FeedPolicy {
  let p = feedPolicies.get(sync);
  if (!p) {
    const contract = contractOf(sync);
    feedPolicies.set(sync, (p = { problems: feedProblems(sync), contract, updateContract: { ...contract, required: [] } }));
  }
  return p;
}

/**
 * The AI-feed policy on one record (docs/ai-feeds.md), checked on what would reach the sink: the edge
 * must still pass its go-live checks (a flow started without preflight is held to them too), the
 * record must meet the contract, and no text in it may hold a value the scanner finds unmasked. The
 * reason names fields and positions, never values.
 */
function aiFeedRefusal(
  sync: SyncEdge,
  s: 'a' | 'b',
  t: 'a' | 'b',
  write: Record<string, unknown>,
  insertOnly: Record<string, unknown>,
  linked: boolean,
  sourceFields: Record<string, unknown>,
  ctx: TransformContext | undefined,
): string | null {
  const { problems, contract, updateContract } = feedPolicyOf(sync);
  if (problems.length > 0) return `AI feed policy: ${problems.map((p) => p.message).join('; ')}`;
  const record = { ...insertOnly, ...write };
  const violations = contractViolations(record, linked ? updateContract : contract);
  if (violations.length > 0) return `AI feed contract: ${violations.join('; ')}`;
  for (const [field, v] of Object.entries(record)) {
    if (typeof v !== 'string') continue;
    const findings = scanText(v);
    if (findings.length > 0) return `AI feed scanner: field "${field}" holds ${describeFindings(findings)} unmasked: classify and mask it`;
  }
  if (!linked) {
    const km = sync.fields.find((x) => x[s] === sync.matchKey[s]);
    if (km) {
      try {
        applyTransformsWith(sourceFields[sync.matchKey[s]], t === 'b' ? km.toB : km.toA, ctx);
      } catch (e) {
        if (e instanceof TransformError) return `AI feed: the match key "${sync.matchKey[s]}" cannot be masked: ${e.message}`;
        throw e;
      }
    }
  }
  return null;
}
