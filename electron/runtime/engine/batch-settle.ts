import type { DirectionKey } from '../../../shared/api/contract.js';
import type { ChangeEvent } from '../../../shared/events.js';
import type { ErrorClass, SyncError } from '../../../shared/errors.js';
import type { SyncEdge } from '../../../shared/flow/schema.js';
import type { EdgeCounterDelta } from '../store/counters.js';
import { emptyDelta } from '../store/counters.js';
import type { RecordShadow } from '../store/shadows.js';
import { AppliedHistory } from './applied-history.js';
import { retryDelay } from './backoff.js';
import type { BatchPlan } from './batch-plan.js';
import { prefetchWritten } from './batch-prefetch.js';
import { deadLetter } from './dead-letter.js';
import type { EngineContext } from './engine-context.js';
import { BUCKET_MS } from './metrics-recorder.js';
import type { PlannedChange } from './planned-change.js';
import { patchShadow } from './shadow-patch.js';
import { directionsOf, sourceSide, targetSide } from './sides.js';
import { capturedEntities, targetShadowNeeded } from './target-shadow-need.js';

/** What one settled change adds up to, collected while its batch commits. */
interface Tally {
  /** Per sync, per direction (looked up by the sync object: no key string built per change). */
  deltas: Map<SyncEdge, Partial<Record<DirectionKey, EdgeCounterDelta>>>;
  /** Live-metric updates, applied only once the transaction is in. */
  metricEvents: (() => void)[];
  /** Settled inbox rows, deleted with one statement at the end of the transaction. */
  done: number[];
  settled: number;
}

/**
 * Records the outcome of a batch in one store transaction: applied and skipped rows leave the inbox
 * with their shadows, links and tombstones updated; failed ones are rescheduled or parked in the DLQ;
 * rows whose target is unavailable stay as they are. Counters, live metrics and (once per metrics
 * bucket) the edge history and the metrics time series go in the same transaction.
 */
export class BatchSettler {
  readonly history = new AppliedHistory();
  private lastMetricsFlush = 0;
  /** The entities some route of the flow captures, as of this batch (targetShadowNeeded()). */
  private captured: ReadonlySet<string> = new Set();
  /** targetShadowNeeded() per sync, for this batch (a one-way sync has one direction). */
  private readonly shadowNeeded = new Map<SyncEdge, boolean>();

  constructor(private readonly ctx: EngineContext) {}

  /** Settle a planned and written batch; returns how many inbox rows were settled. */
  settle(plan: BatchPlan): number {
    const { ctx } = this;
    const now = ctx.clock.now();
    const tally: Tally = { deltas: new Map(), metricEvents: [], done: [], settled: 0 };
    this.captured = capturedEntities(ctx.syncs.values());
    this.shadowNeeded.clear();
    prefetchWritten(ctx, plan.planned);
    ctx.store.transaction(() => {
      for (const row of plan.orphaned) {
        deadLetter(ctx, row, row.event, { errorClass: 'permanent', message: `the sync "${row.syncId}" was removed or disabled after this change was captured: re-enable it and replay, or discard`, response: null, payload: null }, now);
        tally.done.push(row.seq);
        tally.settled++;
      }
      for (const p of plan.planned) this.settleOne(p, plan.anyTombstones, now, tally);
      ctx.store.inbox.removeMany(tally.done);
      for (const [sync, byDirection] of tally.deltas) {
        for (const [direction, d] of Object.entries(byDirection)) ctx.store.counters.add(ctx.flowId, sync.id, direction, d);
      }
      this.history.trim();
      for (const f of tally.metricEvents) f();
      if (now - this.lastMetricsFlush >= BUCKET_MS) this.writeTelemetry(now);
    }, { relaxed: true });
    return tally.settled;
  }

  /** Write held history and the metrics since the last flush (inside the caller's transaction). */
  writeTelemetry(now: number): void {
    const { ctx } = this;
    this.history.write(ctx.store, ctx.flowId, now);
    for (const b of ctx.metrics.snapshot(ctx.flowId, (syncId, dir) => ctx.store.dlq.depth(ctx.flowId, syncId, dir), this.lastMetricsFlush)) ctx.store.metrics.put(b);
    this.lastMetricsFlush = now;
  }

  private settleOne(p: PlannedChange, anyTombstones: boolean, now: number, tally: Tally): void {
    const { decision } = p;
    // Every edge in the batch books its counters, even when nothing of it settled.
    this.delta(tally, p);
    if (decision.kind === 'write' && decision.op && p.opResult && !p.opResult.ok) return this.writeFailed(p, p.opResult.error, now, tally);
    if (decision.kind === 'write' && decision.revert && p.revertResult && !p.revertResult.ok) return this.revertFailed(p, p.revertResult.error, now, tally);
    if (decision.kind === 'write' && decision.op?.kind === 'upsert' && decision.op.key !== null && p.opResult?.ok && p.opResult.note === 'not-found') {
      // The linked record was deleted on the target meanwhile: a delete and an edit raced, and the
      // delete wins. The link stays, so the target's delete event removes this record too.
      this.delta(tally, p).stale++;
      return this.finish(p, tally);
    }
    if (decision.kind === 'invalid') {
      const first = p.rows[0]!;
      for (const f of decision.unknownFields) this.ctx.store.unknownFields.add(this.ctx.flowId, p.sourceSystem, p.sourceEntity, f, now, 1);
      deadLetter(this.ctx, first, this.event(p), { errorClass: decision.error!.errorClass, message: decision.error!.message, response: null, payload: decision.payload, attempts: first.attempts + 1 }, now);
      this.failed(p, now, tally);
      return this.finish(p, tally);
    }
    this.applied(p, anyTombstones, now, tally);
  }

  /** The target refused the write, or could not be reached. */
  private writeFailed(p: PlannedChange, err: SyncError, now: number, tally: Tally): void {
    // The target is unavailable, not this record: its rows stay as they are (no attempt used) and
    // the route waits for the breaker's probe.
    if (err.errorClass === 'unavailable') return;
    const errorClass: ErrorClass = err.errorClass;
    const first = p.rows[0]!;
    const attempts = first.attempts + 1;
    if (err.errorClass === 'transient' && attempts < this.ctx.retry.maxAttempts) {
      this.reschedule(p, attempts, err, now);
    } else {
      deadLetter(this.ctx, first, this.event(p), { errorClass, message: err.message, response: err.response ?? null, payload: p.decision.payload, attempts }, now);
      this.failed(p, now, tally);
      tally.done.push(...p.rows.map((r) => r.seq));
    }
    tally.settled += p.rows.length;
  }

  /**
   * The correction written back to the source (an owner's value, a shared field's winner) failed:
   * the change is not done until the source holds it too, or the two sides stay apart for good.
   * Decided again later; the target write it already made is not made twice (the writers skip a
   * row that already holds the values).
   */
  private revertFailed(p: PlannedChange, err: SyncError, now: number, tally: Tally): void {
    const first = p.rows[0]!;
    const attempts = err.errorClass === 'unavailable' ? first.attempts : first.attempts + 1;
    if (err.errorClass === 'unavailable' || (err.errorClass === 'transient' && attempts < this.ctx.retry.maxAttempts)) {
      this.reschedule(p, Math.max(1, attempts), err, now, attempts);
    } else {
      const message = `writing the winning value back to ${this.ctx.systemName(p.sourceSystem)} failed: ${err.message}`;
      deadLetter(this.ctx, first, this.event(p), { errorClass: err.errorClass, message, response: err.response ?? null, payload: p.decision.revertShadowPatch ?? null, attempts }, now);
      this.failed(p, now, tally);
      tally.done.push(...p.rows.map((r) => r.seq));
    }
    tally.settled += p.rows.length;
  }

  /** Applied or skipped: remember what we now know, then drop the rows. */
  private applied(p: PlannedChange, anyTombstones: boolean, now: number, tally: Tally): void {
    const { ctx } = this;
    const { store, flowId } = ctx;
    const { decision, route } = p;
    const { sync, direction } = route;
    const event = this.event(p);
    const s = sourceSide(direction);
    const d = this.delta(tally, p);
    if (decision.skipReason === 'not-linked' && store.links.other(flowId, sync.id, s, event.key) !== null) {
      // Another change in this batch just linked this record: decide the delete again, now linked.
      return;
    }
    if (decision.nextSourceShadow) {
      let next: RecordShadow = decision.nextSourceShadow;
      if (decision.revert && p.revertResult?.ok && decision.revertShadowPatch) next = patchShadow(next, decision.revertShadowPatch, event.sourceTime, !ctx.taggingSystems.has(p.sourceSystem), p.revertResult.version);
      store.shadows.put(flowId, p.sourceSystem, p.sourceEntity, event.key, next);
    } else {
      store.shadows.remove(flowId, p.sourceSystem, p.sourceEntity, event.key);
    }
    if (decision.clearSourceTombstone && decision.kind === 'write') store.tombstones.remove(flowId, p.sourceSystem, p.sourceEntity, event.key);
    if (decision.deletes) {
      store.tombstones.put(flowId, p.sourceSystem, p.sourceEntity, event.key, decision.deletes.tombstoneSource);
      if (decision.deletes.tombstoneTarget && p.linkedKey !== null) {
        // The target's shadow stays: echoes of our earlier writes to it may still arrive, and must be recognised.
        store.tombstones.put(flowId, p.targetSystem, p.targetEntity, p.linkedKey, decision.deletes.tombstoneTarget);
        d.tombstones++;
      }
      store.links.unlink(flowId, sync.id, s, event.key);
    }
    if (decision.kind === 'write' && decision.op && p.opResult?.ok) {
      if (decision.op.kind === 'upsert') this.rememberTarget(p, p.opResult, anyTombstones, now);
      // The last applied events per edge, kept (bounded) for what-if previews on history.
      this.history.add(sync.id, direction, event);
      d.applied += p.rows.length;
      d.lastAppliedAt = p.finishedAt ?? now;
      // A replay applies an old change on purpose: its age is not lag, and counting it would keep
      // the p99 (and a lag alert) up for a minute after someone fixed a record.
      const lag = p.rows.every((r) => r.replay) ? null : (p.finishedAt ?? now) - event.sourceTime;
      tally.metricEvents.push(() => ctx.metrics.applied(sync.id, direction, p.finishedAt ?? now, lag));
    } else if (decision.skipReason === 'echo') {
      d.echoes++;
      tally.metricEvents.push(() => ctx.metrics.count(sync.id, direction, now, 'echoes'));
    } else if (decision.skipReason === 'stale' || decision.skipReason === 'tombstoned') {
      d.stale++;
    }
    if (decision.revert && p.revertResult && !p.revertResult.ok) d.errors++;
    d.violations += decision.violations.length;
    if (decision.conflicts.length > 0) {
      d.conflicts += decision.conflicts.length;
      const t = targetSide(direction);
      const message = `conflicting edits to ${decision.conflicts.map((c) => `"${c[s]}"`).join(', ')} on both sides within the tolerance window: choose which value to keep`;
      deadLetter(ctx, p.rows[0]!, event, { errorClass: 'conflict', message, response: null, payload: decision.payload, attempts: 1, detail: { conflicts: decision.conflicts, targetKey: p.linkedKey, targetSide: t } }, now);
      tally.metricEvents.push(() => ctx.metrics.count(sync.id, direction, now, 'conflicts', decision.conflicts.length));
    }
    for (const f of decision.unknownFields) store.unknownFields.add(flowId, p.sourceSystem, p.sourceEntity, f, now, 1);
    this.finish(p, tally);
  }

  /** An upsert landed: link the target record if it is new to us, and remember what it now holds. */
  private rememberTarget(p: PlannedChange, result: { key: string; created?: boolean; version?: number }, anyTombstones: boolean, now: number): void {
    const { ctx } = this;
    const { store, flowId } = ctx;
    const { decision, route } = p;
    const { sync, direction } = route;
    const event = this.event(p);
    const targetKey = result.key;
    if (p.linkedKey !== targetKey) {
      if (sourceSide(direction) === 'a') store.links.link(flowId, sync.id, event.key, targetKey, now);
      else store.links.link(flowId, sync.id, targetKey, event.key, now);
      // Linked to a record its own system deleted before it was linked (its delete found no
      // link then): the delete applies now.
      const tomb = anyTombstones ? store.tombstones.get(flowId, p.targetSystem, p.targetEntity, targetKey, now) : null;
      const back: DirectionKey = targetSide(direction) === 'a' ? 'a-to-b' : 'b-to-a';
      if (tomb && !tomb.bySync && directionsOf(sync).includes(back)) {
        const del: ChangeEvent = {
          eventId: `relinked-delete:${p.targetSystem}:${targetKey}:${tomb.deletedAt}`,
          system: p.targetSystem,
          entity: p.targetEntity,
          key: targetKey,
          op: 'delete',
          fields: {},
          sourceTime: tomb.deletedAt,
          captureTime: now,
          origin: 'user',
        };
        store.tombstones.remove(flowId, p.targetSystem, p.targetEntity, targetKey);
        store.inbox.add(flowId, del, { syncId: sync.id, direction: back, notBefore: now });
      }
    }
    const op = decision.op as Extract<NonNullable<typeof decision.op>, { kind: 'upsert' }>;
    const patch = result.created && op.insertOnly ? { ...op.insertOnly, ...decision.targetShadowPatch } : decision.targetShadowPatch;
    if (patch) {
      const prev = store.shadows.get(flowId, p.targetSystem, p.targetEntity, targetKey);
      // A shadow that exists is kept exact even where nothing needs it any more (the flow was
      // two-way before): a stale one would make decide() skip values the target no longer holds.
      let needed = this.shadowNeeded.get(sync);
      if (needed === undefined) this.shadowNeeded.set(sync, (needed = targetShadowNeeded(sync, direction, this.captured)));
      if (prev !== null || needed) {
        store.shadows.put(flowId, p.targetSystem, p.targetEntity, targetKey, patchShadow(prev ?? { fields: {} }, patch, event.sourceTime, !ctx.taggingSystems.has(p.targetSystem), result.version));
      }
    }
    if (anyTombstones) store.tombstones.remove(flowId, p.targetSystem, p.targetEntity, targetKey);
  }

  private reschedule(p: PlannedChange, delayAttempts: number, err: SyncError, now: number, attempts = delayAttempts): void {
    const delay = retryDelay(delayAttempts, this.ctx.retry, this.ctx.random, err.retryAfterMs);
    for (const r of p.rows) this.ctx.store.inbox.reschedule(r.seq, attempts, now + delay, err.message, now);
  }

  /** Counts a change that went to the DLQ as an error of its edge. */
  private failed(p: PlannedChange, now: number, tally: Tally): void {
    const { sync, direction } = p.route;
    this.delta(tally, p).errors++;
    tally.metricEvents.push(() => this.ctx.metrics.count(sync.id, direction, now, 'errors'));
  }

  private finish(p: PlannedChange, tally: Tally): void {
    for (const r of p.rows) tally.done.push(r.seq);
    tally.settled += p.rows.length;
  }

  /** The change as decided: the last of its rows (coalesced upserts carry everything before them). */
  private event(p: PlannedChange): ChangeEvent {
    return p.rows[p.rows.length - 1]!.event;
  }

  private delta(tally: Tally, p: PlannedChange): EdgeCounterDelta {
    const { sync, direction } = p.route;
    let byDirection = tally.deltas.get(sync);
    if (!byDirection) tally.deltas.set(sync, (byDirection = {}));
    return (byDirection[direction] ??= emptyDelta());
  }
}
