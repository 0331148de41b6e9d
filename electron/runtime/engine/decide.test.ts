import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../../shared/events.js';
import type { SyncEdge } from '../../../shared/flow/schema.js';
import type { FieldInfo, WriteOp } from '../connectors/types.js';
import type { RecordShadow } from '../store/shadows.js';
import { decide, type DecideInput } from './decide.js';
import { billingEntities, crmEntities, testFlow } from './test-support/flows.js';
import { normalizeMatch } from './values.js';

const ORIGIN = 'synccanvas:f1';
const TTL = 86_400_000;
const T = 1_000_000;

/** The test flow's one sync (crm.contacts ↔ billing.customers); `patch` is raw flow JSON, defaults filled by the schema. */
function mkSync(patch: Record<string, unknown> = {}): SyncEdge {
  return testFlow(patch as Partial<SyncEdge>).syncs[0]!;
}

/** Two-way: email owned by a (crm), name shared, plan owned by b (billing). */
function twoWay(patch: Record<string, unknown> = {}): SyncEdge {
  return mkSync({
    direction: 'both',
    fields: [
      { a: 'email', b: 'contact_email', owner: 'a' },
      { a: 'name', b: 'full_name', owner: 'shared' },
      { a: 'plan', b: 'plan_code', owner: 'b' },
    ],
    ...patch,
  });
}

function crmEvent(fields: Record<string, unknown>, p: Partial<ChangeEvent> = {}): ChangeEvent {
  return { eventId: 'e1', system: 'crm', entity: 'contacts', key: 'c1', op: 'upsert', fields, sourceTime: T, captureTime: T, origin: 'user', ...p };
}

function billingEvent(fields: Record<string, unknown>, p: Partial<ChangeEvent> = {}): ChangeEvent {
  return { eventId: 'e2', system: 'billing', entity: 'customers', key: 'k1', op: 'upsert', fields, sourceTime: T, captureTime: T, origin: 'user', ...p };
}

type F = [value: unknown, t: number, by: 'self' | 'sync'];
function shadow(fields: Record<string, F>, extra: Omit<RecordShadow, 'fields'> = {}): RecordShadow {
  return { fields: Object.fromEntries(Object.entries(fields).map(([k, [v, t, by]]) => [k, { v, t, by }])), ...extra };
}

function run(p: Partial<DecideInput> & { sync: SyncEdge; event: ChangeEvent }) {
  return decide({
    direction: 'a-to-b',
    sourceShadow: null,
    targetShadow: null,
    targetKey: null,
    sourceTombstone: null,
    targetTombstone: null,
    runtimeOrigin: ORIGIN,
    targetFields: null,
    sourceFields: null,
    tombstoneTtlMs: TTL,
    ...p,
  });
}

function upsertOp(op: WriteOp | undefined): Extract<WriteOp, { kind: 'upsert' }> {
  if (!op || op.kind !== 'upsert') throw new Error(`expected an upsert op, got ${JSON.stringify(op)}`);
  return op;
}

function fieldsOf(entities: typeof crmEntities): ReadonlyMap<string, FieldInfo> {
  return new Map(entities[0]!.fields.map((f) => [f.name, f]));
}

describe('decide: echoes', () => {
  it('skips a change equal to what the runtime wrote as an echo', () => {
    const d = run({
      sync: twoWay(),
      direction: 'b-to-a',
      event: billingEvent({ contact_email: 'ann@x.com', full_name: 'Ann', plan_code: 'pro' }),
      sourceShadow: shadow({ contact_email: ['ann@x.com', T - 100, 'sync'], full_name: ['Ann', T - 100, 'sync'], plan_code: ['pro', T - 100, 'sync'] }),
      targetShadow: shadow({ email: ['ann@x.com', T - 200, 'self'], name: ['Ann', T - 200, 'self'], plan: ['pro', T - 100, 'sync'] }),
      targetKey: 'c1',
    });
    expect(d.kind).toBe('skip');
    expect(d.skipReason).toBe('echo');
    expect(d.op).toBeUndefined();
  });

  it('carries a change that differs from what the runtime wrote (not an echo)', () => {
    const d = run({
      sync: twoWay(),
      direction: 'b-to-a',
      event: billingEvent({ contact_email: 'ann@x.com', full_name: 'Ann', plan_code: 'enterprise' }),
      sourceShadow: shadow({ contact_email: ['ann@x.com', T - 100, 'sync'], full_name: ['Ann', T - 100, 'sync'], plan_code: ['pro', T - 100, 'sync'] }),
      targetShadow: shadow({ email: ['ann@x.com', T - 200, 'self'], name: ['Ann', T - 200, 'self'], plan: ['pro', T - 100, 'sync'] }),
      targetKey: 'c1',
    });
    expect(d.kind).toBe('write');
    expect(upsertOp(d.op).fields).toEqual({ plan: 'enterprise' });
  });

  it('skips a change tagged with the runtime origin as an echo, whatever its values', () => {
    const d = run({
      sync: mkSync(),
      event: crmEvent({ email: 'ann@x.com', name: 'Someone else' }, { origin: ORIGIN }),
      sourceShadow: shadow({ email: ['ann@x.com', T - 100, 'self'], name: ['Ann', T - 100, 'self'] }),
      targetKey: 'k1',
    });
    expect(d.kind).toBe('skip');
    expect(d.skipReason).toBe('echo');
    expect(d.op).toBeUndefined();
    expect(d.revert).toBeUndefined();
  });
});

describe('decide: echoes of several writes (untagged sources)', () => {
  const pending = () => ({
    sync: twoWay(),
    direction: 'b-to-a' as const,
    // The runtime wrote "Ann 1" then "Ann 2" to billing; neither echo has come back yet.
    sourceShadow: { fields: { full_name: { v: 'Ann 2', t: T - 100, by: 'sync' as const, p: ['Ann 1', 'Ann 2'] } } },
    targetShadow: shadow({ name: ['Ann 2', T - 60_000, 'self'] }),
    targetKey: 'c1',
    event: billingEvent({ full_name: 'Ann 1' }),
  });

  it('treats an earlier write of ours coming back after a later one as an echo', () => {
    const d = run(pending());
    expect(d.skipReason).toBe('echo');
    expect(d.op).toBeUndefined();
    // The source holds "Ann 1" now; the echo of "Ann 2" is still to come.
    expect(d.nextSourceShadow!.fields.full_name).toEqual({ v: 'Ann 1', t: T - 100, by: 'sync', p: ['Ann 2'] });
  });

  it('does not guess echoes for a source that tags our writes: a value we wrote earlier is then a real change', () => {
    const d = run({ ...pending(), sourceTagsOrigin: true });
    expect(upsertOp(d.op).fields).toEqual({ name: 'Ann 1' });
  });
});

describe('decide: field ownership', () => {
  const linkedB = {
    direction: 'b-to-a' as const,
    sourceShadow: shadow({ contact_email: ['ann@x.com', T - 1000, 'sync'], full_name: ['Ann', T - 1000, 'sync'] }),
    targetShadow: shadow({ email: ['ann@x.com', T - 2000, 'self'], name: ['Ann', T - 2000, 'self'] }),
    targetKey: 'c1',
  };

  it('does not carry a non-owner change to an owned field and counts it as a violation', () => {
    const d = run({ ...linkedB, sync: twoWay(), event: billingEvent({ contact_email: 'other@x.com', full_name: 'Ann' }) });
    expect(d.violations).toEqual(['contact_email']);
    expect(d.op).toBeUndefined();
    expect(d.revert).toBeUndefined();
    expect(d.kind).toBe('skip');
  });

  it('carries the owner\'s own change to the field it owns', () => {
    const d = run({
      sync: twoWay(),
      event: crmEvent({ email: 'new@x.com' }),
      sourceShadow: shadow({ email: ['ann@x.com', T - 1000, 'self'] }),
      targetShadow: shadow({ contact_email: ['ann@x.com', T - 1000, 'sync'] }),
      targetKey: 'k1',
    });
    expect(d.violations).toEqual([]);
    expect(upsertOp(d.op)).toMatchObject({ key: 'k1', fields: { contact_email: 'new@x.com' } });
  });

  it('with ownershipViolation "revert", writes the owner\'s value back to the source through the owner → source transforms', () => {
    const sync = twoWay({
      ownershipViolation: 'revert',
      fields: [
        { a: 'email', b: 'contact_email', owner: 'a', toB: [{ type: 'lowercase' }], toA: [{ type: 'uppercase' }] },
        { a: 'name', b: 'full_name', owner: 'shared' },
      ],
    });
    const d = run({
      ...linkedB,
      sync,
      targetShadow: shadow({ email: ['Ann@X.com', T - 2000, 'self'], name: ['Ann', T - 2000, 'self'] }),
      event: billingEvent({ contact_email: 'other@x.com', full_name: 'Ann' }),
    });
    expect(d.violations).toEqual(['contact_email']);
    expect(d.kind).toBe('write');
    expect(d.op).toBeUndefined();
    expect(d.revert).toMatchObject({ kind: 'upsert', key: 'k1', fields: { contact_email: 'ann@x.com' } });
    // Only over the value this change saw: an edit made at the source since then stands.
    expect(d.revert).toMatchObject({ expect: { contact_email: 'other@x.com' } });
    expect(d.revert!.idempotencyKey).not.toBe(`e2|s1|b-to-a`);
    expect(d.revertShadowPatch).toEqual({ contact_email: 'ann@x.com' });
  });
});

describe('decide: shared fields, newest-wins (skew tolerance 5 s)', () => {
  const tb = T; // when billing last edited full_name itself
  function sharedEdit(sourceTime: number) {
    return run({
      sync: twoWay(),
      event: crmEvent({ email: 'new@x.com', name: 'Ann A' }, { sourceTime }),
      sourceShadow: shadow({ email: ['ann@x.com', T - 60_000, 'self'], name: ['Ann', T - 60_000, 'self'] }),
      targetShadow: shadow({ contact_email: ['ann@x.com', T - 60_000, 'sync'], full_name: ['Ann B', tb, 'self'] }),
      targetKey: 'k1',
    });
  }

  it('writes the newer edit when it is newer by more than the window', () => {
    const d = sharedEdit(tb + 6000);
    expect(d.conflicts).toEqual([]);
    expect(upsertOp(d.op).fields).toEqual({ contact_email: 'new@x.com', full_name: 'Ann A' });
  });

  it('reports edits within the window as a conflict with both values and writes nothing for that field', () => {
    for (const sourceTime of [tb + 3000, tb - 3000]) {
      const d = sharedEdit(sourceTime);
      expect(d.conflicts).toEqual([{ a: 'name', b: 'full_name', aValue: 'Ann A', bValue: 'Ann B', aTime: sourceTime, bTime: tb }]);
      expect(upsertOp(d.op).fields).toEqual({ contact_email: 'new@x.com' });
    }
  });

  it('reports a conflict-only decision when the conflicting field was the only change', () => {
    const d = run({
      sync: twoWay(),
      event: crmEvent({ name: 'Ann A' }, { sourceTime: tb + 1000 }),
      sourceShadow: shadow({ name: ['Ann', T - 60_000, 'self'] }),
      targetShadow: shadow({ full_name: ['Ann B', tb, 'self'] }),
      targetKey: 'k1',
    });
    expect(d.kind).toBe('skip');
    expect(d.skipReason).toBe('conflict-only');
    expect(d.conflicts).toHaveLength(1);
  });

  it('does not write an edit older than the target\'s by more than the window, and gives the source the newer value', () => {
    const d = run({
      sync: twoWay(),
      event: crmEvent({ name: 'Ann A' }, { sourceTime: tb - 6000 }),
      sourceShadow: shadow({ name: ['Ann', T - 60_000, 'self'] }),
      targetShadow: shadow({ full_name: ['Ann B', tb, 'self'] }),
      targetKey: 'k1',
    });
    expect(d.op).toBeUndefined();
    expect(d.conflicts).toEqual([]);
    expect(d.staleFields).toBe(1);
    // The source may hold this older value after our write of the newer one landed: it gets the winner.
    expect(d.kind).toBe('write');
    expect(d.revert).toMatchObject({ kind: 'upsert', key: d.revert?.key, fields: { name: 'Ann B' }, ifMissing: 'skip' });
  });

  it('does not treat a target value the runtime wrote as a competing edit', () => {
    const d = run({
      sync: twoWay(),
      event: crmEvent({ name: 'Ann A' }, { sourceTime: tb - 3000 }),
      sourceShadow: shadow({ name: ['Ann', T - 60_000, 'self'] }),
      targetShadow: shadow({ full_name: ['Ann', tb, 'sync'] }),
      targetKey: 'k1',
    });
    expect(d.conflicts).toEqual([]);
    expect(upsertOp(d.op).fields).toEqual({ full_name: 'Ann A' });
  });
});

describe('decide: shared fields, prefer side b (window 5 s)', () => {
  const sync = () => twoWay({ conflictPolicy: { mode: 'prefer', side: 'b', windowMs: 5000 } });

  it('does not write the other side\'s edit made within the window of the preferred side\'s, and reports the conflict', () => {
    const d = run({
      sync: sync(),
      event: crmEvent({ name: 'Ann A' }),
      sourceShadow: shadow({ name: ['Ann', T - 60_000, 'self'] }),
      targetShadow: shadow({ full_name: ['Ann B', T - 2000, 'self'] }),
      targetKey: 'k1',
    });
    expect(d.op).toBeUndefined();
    expect(d.conflicts).toEqual([{ a: 'name', b: 'full_name', aValue: 'Ann A', bValue: 'Ann B', aTime: T, bTime: T - 2000 }]);
  });

  it('writes the preferred side\'s edit over a concurrent edit of the other side', () => {
    const d = run({
      sync: sync(),
      direction: 'b-to-a',
      event: billingEvent({ full_name: 'Ann B' }),
      sourceShadow: shadow({ full_name: ['Ann', T - 60_000, 'self'] }),
      targetShadow: shadow({ name: ['Ann A', T - 2000, 'self'] }),
      targetKey: 'c1',
    });
    expect(d.conflicts).toEqual([]);
    expect(upsertOp(d.op).fields).toEqual({ name: 'Ann B' });
  });

  it('writes the other side\'s edit when the preferred side\'s is older than the window', () => {
    const d = run({
      sync: sync(),
      event: crmEvent({ name: 'Ann A' }),
      sourceShadow: shadow({ name: ['Ann', T - 60_000, 'self'] }),
      targetShadow: shadow({ full_name: ['Ann B', T - 10_000, 'self'] }),
      targetKey: 'k1',
    });
    expect(d.conflicts).toEqual([]);
    expect(upsertOp(d.op).fields).toEqual({ full_name: 'Ann A' });
  });

  it('does not let a preferred-side edit overwrite a clearly newer edit of the other side (edits outside the window are not concurrent)', () => {
    const d = run({
      sync: sync(),
      direction: 'b-to-a',
      event: billingEvent({ full_name: 'Ann B (old)' }, { sourceTime: T - 60_000 }),
      sourceShadow: shadow({ full_name: ['Ann', T - 120_000, 'self'] }),
      targetShadow: shadow({ name: ['Ann A (new)', T, 'self'] }),
      targetKey: 'c1',
    });
    expect(d.op).toBeUndefined();
  });
});

describe('decide: staleness and order', () => {
  it('does not carry a field from an event older than the field\'s last known change', () => {
    const d = run({
      sync: mkSync(),
      event: crmEvent({ name: 'Ann (old)' }, { sourceTime: T }),
      sourceShadow: shadow({ name: ['Ann (new)', T + 5000, 'self'] }),
      targetShadow: shadow({ full_name: ['Ann (new)', T + 5000, 'sync'] }),
      targetKey: 'k1',
    });
    expect(d.op).toBeUndefined();
    expect(d.staleFields).toBe(1);
    expect(d.skipReason).toBe('stale');
    expect(d.nextSourceShadow!.fields.name!.v).toBe('Ann (new)');
  });

  it('skips a whole-record delivery with an older version as stale', () => {
    const d = run({
      sync: mkSync(),
      event: crmEvent({ name: 'v4' }, { version: 4 }),
      sourceShadow: shadow({ name: ['v5', T - 1000, 'self'] }, { version: 5 }),
      targetKey: 'k1',
    });
    expect(d.kind).toBe('skip');
    expect(d.skipReason).toBe('stale');
    expect(d.op).toBeUndefined();
  });

  it('carries a newer version and remembers it', () => {
    const d = run({
      sync: mkSync(),
      event: crmEvent({ name: 'v6' }, { version: 6 }),
      sourceShadow: shadow({ name: ['v5', T - 1000, 'self'] }, { version: 5 }),
      targetKey: 'k1',
    });
    expect(upsertOp(d.op)).toMatchObject({ fields: { full_name: 'v6' }, version: 6 });
    expect(d.nextSourceShadow!.version).toBe(6);
  });
});

describe('decide: tombstones', () => {
  const tomb = { deletedAt: T, expiresAt: T + TTL, bySync: false };

  it('skips an upsert made before (or at) the delete as tombstoned', () => {
    for (const sourceTime of [T - 1, T]) {
      const d = run({ sync: mkSync(), event: crmEvent({ email: 'ann@x.com', name: 'Ann' }, { sourceTime }), sourceTombstone: tomb });
      expect(d.skipReason).toBe('tombstoned');
      expect(d.op).toBeUndefined();
    }
  });

  it('re-creates from an upsert made after the delete and clears the tombstone', () => {
    const d = run({ sync: mkSync(), event: crmEvent({ email: 'ann@x.com', name: 'Ann' }, { sourceTime: T + 1 }), sourceTombstone: tomb });
    expect(d.kind).toBe('write');
    expect(upsertOp(d.op).key).toBeNull();
    expect(d.clearSourceTombstone).toBe(true);
  });
});

describe('decide: records the runtime deleted', () => {
  const ours = { deletedAt: T, expiresAt: T + TTL, bySync: true };
  const upsert = (sourceTime: number) => crmEvent({ email: 'ann@x.com', name: 'Ann' }, { sourceTime });

  it('asks the source rather than comparing clocks: still gone → tombstoned, whatever the event time', () => {
    expect(run({ sync: mkSync(), event: upsert(T + 60_000), sourceTombstone: ours, sourceGone: true }).skipReason).toBe('tombstoned');
  });

  it('asks the source rather than comparing clocks: there again → re-created, whatever the event time', () => {
    const d = run({ sync: mkSync(), event: upsert(T - 60_000), sourceTombstone: ours, sourceGone: false });
    expect(d.kind).toBe('write');
    expect(d.clearSourceTombstone).toBe(true);
  });
});

describe('decide: deletes', () => {
  const del = (p: Partial<ChangeEvent> = {}) => crmEvent({ id: 'c1' }, { op: 'delete', ...p });

  it('deletes the linked record (hard) and tombstones both sides', () => {
    const d = run({ sync: mkSync(), event: del(), targetKey: 'k1', sourceShadow: shadow({ name: ['Ann', T - 1000, 'self'] }, { seen: T - 1000 }) });
    expect(d.kind).toBe('write');
    expect(d.op).toEqual({ kind: 'delete', key: 'k1', mode: 'hard', idempotencyKey: 'e1|s1|a-to-b', sourceTime: T });
    expect(d.deletes).toEqual({
      tombstoneSource: { deletedAt: T, expiresAt: T + TTL, bySync: false },
      tombstoneTarget: { deletedAt: T, expiresAt: T + TTL, bySync: true },
    });
    expect(d.nextSourceShadow).toBeNull();
  });

  it('soft-deletes with the target side\'s soft-delete field', () => {
    const sync = twoWay({ deletePolicy: { mode: 'soft', aField: 'archived_at', bField: 'deleted_at' } });
    const toB = run({ sync, event: del(), targetKey: 'k1' });
    expect(toB.op).toMatchObject({ kind: 'delete', key: 'k1', mode: 'soft', softField: 'deleted_at' });
    const toA = run({ sync, direction: 'b-to-a', event: billingEvent({}, { op: 'delete' }), targetKey: 'c1' });
    expect(toA.op).toMatchObject({ kind: 'delete', key: 'c1', mode: 'soft', softField: 'archived_at' });
  });

  it('skips the delete of an unlinked record as not-linked, still remembering the delete', () => {
    const d = run({ sync: mkSync(), event: del(), targetKey: null });
    expect(d.kind).toBe('skip');
    expect(d.skipReason).toBe('not-linked');
    expect(d.op).toBeUndefined();
    expect(d.deletes?.tombstoneSource.deletedAt).toBe(T);
  });

  it('does not delete anything under delete policy "ignore"', () => {
    const d = run({ sync: mkSync({ deletePolicy: { mode: 'ignore' } }), event: del(), targetKey: 'k1' });
    expect(d.skipReason).toBe('delete-ignored');
    expect(d.op).toBeUndefined();
    expect(d.deletes?.tombstoneTarget).toBeNull();
  });

  it('skips a replayed delete older than what has since been seen of the record as stale', () => {
    const d = run({ sync: mkSync(), event: del({ sourceTime: T - 5000 }), targetKey: 'k1', sourceShadow: shadow({ name: ['Ann', T, 'self'] }, { seen: T }) });
    expect(d.skipReason).toBe('stale');
    expect(d.op).toBeUndefined();
    expect(d.deletes).toBeNull();
  });

  it('skips our own delete coming back as an echo (tagged, or matching a tombstone the runtime wrote)', () => {
    const tagged = run({ sync: mkSync(), event: del({ origin: ORIGIN }), targetKey: 'k1' });
    expect(tagged.skipReason).toBe('echo');
    expect(tagged.op).toBeUndefined();
    const byTomb = run({ sync: mkSync(), event: del(), targetKey: 'k1', sourceTombstone: { deletedAt: T - 10, expiresAt: T + TTL, bySync: true } });
    expect(byTomb.skipReason).toBe('echo');
    expect(byTomb.op).toBeUndefined();
  });
});

describe('decide: creates', () => {
  it('carries the whole record of an unlinked upsert and matches on the match key', () => {
    const d = run({
      sync: mkSync(),
      event: crmEvent({ id: 'c1', email: ' Ann@X.com ', name: 'Ann', plan: 'pro' }),
      // Only the name changed since last seen: a new target record still needs every field.
      sourceShadow: shadow({ email: [' Ann@X.com ', T - 100, 'self'], name: ['Anne', T - 100, 'self'], plan: ['pro', T - 100, 'self'] }),
    });
    const op = upsertOp(d.op);
    expect(op.key).toBeNull();
    expect(op.fields).toEqual({ contact_email: ' Ann@X.com ', full_name: 'Ann', plan_code: 'pro' });
    expect(op.match).toMatchObject({ field: 'contact_email', normalize: 'lowercase-trim' });
    expect(normalizeMatch(op.match!.value, op.match!.normalize)).toBe('ann@x.com');
    expect(d.targetShadowPatch).toEqual(op.fields);
  });

  it('does not create anything from a known, unchanged record that is no longer linked', () => {
    const fields = { email: ['ann@x.com', T - 100, 'self'] as F, name: ['Ann', T - 100, 'self'] as F };
    const d = run({ sync: mkSync(), event: crmEvent({ email: 'ann@x.com', name: 'Ann' }), sourceShadow: shadow(fields) });
    expect(d.kind).toBe('skip');
    expect(d.op).toBeUndefined();
  });

  it('updates a linked record without re-creating it if the target lost it; creates only unlinked ones', () => {
    const linked = run({ sync: mkSync(), event: crmEvent({ name: 'Ann' }), targetKey: 'k1' });
    expect(upsertOp(linked.op)).toMatchObject({ key: 'k1', ifMissing: 'skip' });
    const unlinked = run({ sync: mkSync(), event: crmEvent({ email: 'ann@x.com', name: 'Ann' }) });
    expect(upsertOp(unlinked.op).ifMissing).not.toBe('skip');
  });

  it('puts fields the target owns into insertOnly, not into the update', () => {
    const d = run({ sync: twoWay(), event: crmEvent({ email: 'ann@x.com', name: 'Ann', plan: 'pro' }) });
    const op = upsertOp(d.op);
    expect(op.fields).toEqual({ contact_email: 'ann@x.com', full_name: 'Ann' });
    expect(op.insertOnly).toEqual({ plan_code: 'pro' });
    expect(d.payload).toEqual({ contact_email: 'ann@x.com', full_name: 'Ann', plan_code: 'pro' });
  });

  it('rejects a record without a match value as invalid, saying which field to fill in', () => {
    for (const email of [null, '', '   ']) {
      const d = run({ sync: mkSync(), event: crmEvent({ email, name: 'Ann' }) });
      expect(d.kind, JSON.stringify(email)).toBe('invalid');
      expect(d.error?.errorClass).toBe('validation');
      expect(d.error?.message).toMatch(/no "email" \(the match key\).*fill it in at the source/);
      expect(d.op).toBeUndefined();
    }
  });

  it('rejects a new record missing a required field as invalid, naming the field', () => {
    const sync = mkSync({ fields: [{ a: 'email', b: 'contact_email', owner: 'a' }, { a: 'name', b: 'full_name', owner: 'a', required: true }] });
    const d = run({ sync, event: crmEvent({ email: 'ann@x.com' }) });
    expect(d.kind).toBe('invalid');
    expect(d.error?.message).toMatch(/required field "name" is missing/);
  });

  it('rejects a new record whose required field is empty (null) as invalid', () => {
    const sync = mkSync({ fields: [{ a: 'email', b: 'contact_email', owner: 'a' }, { a: 'name', b: 'full_name', owner: 'a', required: true }] });
    const d = run({ sync, event: crmEvent({ email: 'ann@x.com', name: null }) });
    expect(d.kind).toBe('invalid');
    expect(d.error?.message).toContain('"name"');
  });
});

describe('decide: schema drift', () => {
  it('lists source fields unknown to discovery and unmapped, and still writes the rest', () => {
    const d = run({
      sync: mkSync(),
      event: crmEvent({ id: 'c1', email: 'ann@x.com', name: 'Ann', nickname: 'Annie' }),
      sourceFields: fieldsOf(crmEntities),
    });
    expect(d.unknownFields).toEqual(['nickname']);
    expect(d.kind).toBe('write');
  });

  it('rejects a value of the wrong type for the target field as invalid, naming the field', () => {
    const targetFields = new Map(fieldsOf(billingEntities));
    targetFields.set('plan_code', { name: 'plan_code', type: 'integer', nullable: true, primaryKey: false });
    const d = run({ sync: mkSync(), event: crmEvent({ email: 'ann@x.com', plan: 'pro' }), targetFields });
    expect(d.kind).toBe('invalid');
    expect(d.error?.message).toMatch(/field "plan_code" expects a whole number but got "pro"/);
    expect(d.payload).toMatchObject({ plan_code: 'pro' });
  });

  it('rejects a write to a field the target does not have, listing the fields it has', () => {
    const targetFields = new Map(fieldsOf(billingEntities));
    targetFields.delete('full_name');
    const d = run({ sync: mkSync(), event: crmEvent({ email: 'ann@x.com', name: 'Ann' }), targetFields });
    expect(d.kind).toBe('invalid');
    expect(d.error?.message).toMatch(/no field "full_name".*contact_email/);
  });
});

describe('decide: transforms', () => {
  const sync = () =>
    twoWay({
      fields: [
        { a: 'email', b: 'contact_email', owner: 'shared', toB: [{ type: 'lowercase' }], toA: [{ type: 'uppercase' }] },
        { a: 'plan', b: 'plan_code', owner: 'shared', toB: [{ type: 'value-map', map: { gold: 'G', silver: 'S' }, otherwise: 'reject' }] },
      ],
    });

  it('applies toB going a → b and toA going b → a', () => {
    const ab = run({ sync: sync(), event: crmEvent({ email: 'Ann@X.com', plan: 'gold' }) });
    expect(upsertOp(ab.op).fields).toEqual({ contact_email: 'ann@x.com', plan_code: 'G' });
    const ba = run({ sync: sync(), direction: 'b-to-a', event: billingEvent({ contact_email: 'bob@y.com', plan_code: 'G' }) });
    expect(upsertOp(ba.op).fields).toEqual({ email: 'BOB@Y.COM', plan: 'G' });
  });

  it('marks a value the transforms reject as invalid, naming the field and the reason', () => {
    const d = run({ sync: sync(), event: crmEvent({ email: 'ann@x.com', plan: 'platinum' }) });
    expect(d.kind).toBe('invalid');
    expect(d.error?.message).toMatch(/field "plan": value "platinum" is not in the value map/);
    expect(d.op).toBeUndefined();
  });
});

describe('decide: an event made before our write landed (log-ordered versions)', () => {
  // Billing's own change (a new plan) whose row image still holds the email we had written before
  // our newer write of the CRM's email landed: the log id (version 7) is below our write's (9).
  const sourceShadow: RecordShadow = {
    fields: {
      contact_email: { v: 'new@x.com', t: T - 500, by: 'sync', w: 9 },
      plan_code: { v: 'basic', t: T - 5000, by: 'self' },
    },
    version: 5,
    written: [9],
  };
  const input = {
    direction: 'b-to-a' as const,
    sourceShadow,
    targetShadow: shadow({ email: ['new@x.com', T - 500, 'self'], plan: ['basic', T - 5000, 'sync'] }),
    targetKey: 'c1',
    sync: twoWay(),
  };

  it('keeps our newer value for the fields we wrote, counts no violation, and still carries the owner\'s own change', () => {
    const d = run({ ...input, event: billingEvent({ contact_email: 'old@x.com', plan_code: 'pro' }, { version: 7, sourceTime: T }) });
    expect(d.violations).toEqual([]);
    expect(d.nextSourceShadow!.fields['contact_email']).toMatchObject({ v: 'new@x.com', by: 'sync' });
    expect(upsertOp(d.op)).toMatchObject({ key: 'c1', fields: { plan: 'pro' } });
    expect(d.op && 'fields' in d.op ? Object.keys(d.op.fields) : []).toEqual(['plan']);
  });

  it('a change made after our write (a higher version) is a real non-owner edit', () => {
    const d = run({ ...input, event: billingEvent({ contact_email: 'other@x.com', plan_code: 'basic' }, { version: 11, sourceTime: T }) });
    expect(d.violations).toEqual(['contact_email']);
    expect(d.nextSourceShadow!.fields['contact_email']).toMatchObject({ v: 'other@x.com', by: 'self' });
  });

  it('without our write\'s version (Postgres targets), an old view of a field we wrote does not become the record\'s value, so the owner\'s later change back to it is written', () => {
    // We wrote new@x.com to billing (no version known); a billing change made before that write
    // landed arrives after it, still showing old@x.com.
    const ours: RecordShadow = { fields: { contact_email: { v: 'new@x.com', t: T - 500, by: 'sync' }, plan_code: { v: 'basic', t: T - 5000, by: 'self' } }, version: 5 };
    const late = run({ ...input, sourceShadow: ours, event: billingEvent({ contact_email: 'old@x.com', plan_code: 'pro' }, { version: 7, sourceTime: T }) });
    expect(late.violations).toEqual(['contact_email']);
    expect(late.nextSourceShadow!.fields['contact_email']).toMatchObject({ v: 'new@x.com', by: 'sync' });
    // The CRM (the owner) changes the email back to old@x.com: billing must get it.
    const back = run({
      sync: twoWay(),
      direction: 'a-to-b',
      sourceShadow: shadow({ email: ['new@x.com', T - 500, 'self'] }),
      targetShadow: late.nextSourceShadow,
      targetKey: 'k1',
      event: crmEvent({ email: 'old@x.com' }, { sourceTime: T + 1000 }),
    });
    expect(upsertOp(back.op)).toMatchObject({ key: 'k1', fields: { contact_email: 'old@x.com' } });
  });
});
