import type { DirectionKey } from '../../../shared/api/contract.js';
import type { ChangeEvent } from '../../../shared/events.js';
import type { SyncError } from '../../../shared/errors.js';
import type { FieldMapping, SyncEdge } from '../../../shared/flow/schema.js';
import type { FieldInfo, WriteOp } from '../connectors/types.js';
import type { RecordShadow } from '../store/shadows.js';
import type { Tombstone } from '../store/tombstones.js';
import { sourceSide, targetSide } from './sides.js';
import { applyTransforms, TransformError } from './transforms.js';
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
}

export interface Decision {
  kind: 'write' | 'skip' | 'invalid';
  skipReason?: SkipReason;
  /** The write to the target system. */
  op?: WriteOp;
  /** An ownership revert: the owner's values written back to the source record. */
  revert?: WriteOp;
  error?: SyncError;
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
  const d = base(input);

  // A record deleted after this change was made must not come back (a late poll, a late echo).
  if (input.sourceTombstone && event.sourceTime <= input.sourceTombstone.deletedAt) {
    return { ...d, skipReason: 'tombstoned', nextSourceShadow: null };
  }
  const recreated = input.sourceTombstone !== null;

  // Out-of-order delivery of a whole record (webhooks): an older version changes nothing.
  if (event.version !== undefined && sourceShadow?.version !== undefined && event.version < sourceShadow.version) {
    return { ...d, skipReason: 'stale', staleFields: 1 };
  }

  const taggedEcho = event.origin === input.runtimeOrigin;
  const next: RecordShadow = { fields: { ...(sourceShadow?.fields ?? {}) } };
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
    const isChange = !known || !sameValue(known.v, value);
    next.fields[sf] = isChange ? { v: value, t: event.sourceTime, by: 'self' } : known!;
    if (!isChange) {
      if (known.by === 'sync') unchangedBySync++;
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
            if (!sameValue(back, value)) revertValues[sf] = back;
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
        if (policy.mode === 'prefer') {
          // The preferred side's recent edit wins; the other side's is counted and not written.
          if (policy.side !== s && theirs.t >= event.sourceTime - policy.windowMs) {
            d.conflicts.push(conflict);
            continue;
          }
        } else if (event.sourceTime < theirs.t - window) {
          d.staleFields++;
          continue; // the target's edit is clearly newer: it flows the other way
        } else if (event.sourceTime <= theirs.t + window) {
          d.conflicts.push(conflict);
          continue; // too close to call: the review queue decides, nothing is silently dropped
        }
      }
    }

    // The target already holds this value (what we wrote, or what it reported): nothing to send.
    if (linked && targetShadow?.fields[tf] && sameValue(targetShadow.fields[tf]!.v, mapped)) continue;
    write[tf] = mapped;
  }

  d.nextSourceShadow = next;
  if (recreated) d.clearSourceTombstone = true;

  if (taggedEcho) return { ...d, skipReason: 'echo' };

  if (Object.keys(revertValues).length > 0) {
    d.revert = {
      kind: 'upsert',
      key: event.key,
      fields: revertValues,
      idempotencyKey: idempotencyKey(event, sync.id, direction, '|revert'),
      sourceTime: event.sourceTime,
    };
    d.revertShadowPatch = revertValues;
  }

  if (Object.keys(write).length === 0) {
    if (d.revert) return { ...d, kind: 'write' };
    let skipReason: SkipReason = 'no-change';
    if (d.conflicts.length > 0) skipReason = 'conflict-only';
    else if (changed === 0 && unchangedBySync > 0) skipReason = 'echo';
    else if (changed === 0 && d.staleFields > 0) skipReason = 'stale';
    return { ...d, skipReason };
  }

  // Validate against the target schema before anything is written.
  if (input.targetFields) {
    for (const [tf, v] of Object.entries(write)) {
      const info = input.targetFields.get(tf);
      if (!info) return invalid(d, `the target has no field "${tf}": fix the mapping (the target's fields are ${[...input.targetFields.keys()].join(', ')})`, write);
      const why = typeMismatch(v, info.type, info.nullable || info.primaryKey);
      if (why) return invalid(d, `field "${tf}" ${why}`, write);
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
  if (!linked) {
    const matchValue = event.fields[sync.matchKey[s]];
    const normalized = normalizeMatch(matchValue, sync.matchKey.normalize);
    if (normalized === null) {
      return invalid(d, `the record has no "${sync.matchKey[s]}" (the match key), so it cannot be matched to a ${sync[t].entity} record: fill it in at the source`, write);
    }
    for (const m of sync.fields) {
      if (m.required && m.owner !== t && write[m[t]] === undefined) {
        return invalid(d, `required field "${m[s]}" is missing, so a new ${sync[t].entity} record cannot be created: fill it in at the source`, write);
      }
    }
    op.match = { field: sync.matchKey[t], value: matchValue, normalize: sync.matchKey.normalize };
    if (Object.keys(insertOnly).length > 0) op.insertOnly = insertOnly;
  }
  return { ...d, kind: 'write', op, payload: op.insertOnly ? { ...write, ...op.insertOnly } : write, targetShadowPatch: write };
}
