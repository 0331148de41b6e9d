import type { DirectionStats, FlowStatus, SyncStatus, SystemStatus, EdgeHealth, UnreachableStatus } from '../../../shared/api/contract.js';
import type { ChangeEvent } from '../../../shared/events.js';
import { RUNTIME_ORIGIN_PREFIX } from '../../../shared/events.js';
import type { FlowDocument, Side, SyncEdge } from '../../../shared/flow/schema.js';
import type { CapturedBatch, Connector, EntityInfo, FieldInfo, WriteOp } from '../connectors/types.js';
import type { Store } from '../store/store.js';
import { DEFAULT_RETENTION_MS } from '../store/retention.js';
import { DEFAULT_RETRY, type RetryPolicy } from './backoff.js';
import type { FieldConflict } from './decide.js';
import { applyTransforms } from './transforms.js';
import type { EngineHooks } from './engine-hooks.js';
import { MetricsRecorder } from './metrics-recorder.js';
import { buildRoutes, tombstoneTtlMs } from './routes.js';
import { sourceSide, targetSide, directionsOf } from './sides.js';
import { CircuitBreakers, DEFAULT_BREAKER, type BreakerPolicy, type Outage } from './circuit-breaker.js';
import type { Clock, EngineContext } from './engine-context.js';
import { FlowCapture } from './flow-capture.js';
import { ApplyLoop, type BatchOutcome } from './apply-loop.js';
import { planBatch } from './batch-plan.js';
import { matchTargets } from './match-targets.js';
import { writeBatch } from './batch-write.js';
import { BatchSettler } from './batch-settle.js';
import { Housekeeper } from './housekeeping.js';
import { patchShadow } from './shadow-patch.js';

export type { Clock } from './engine-context.js';
export type { BatchOutcome } from './apply-loop.js';

export class ConflictResolutionError extends Error {}

export interface FlowEngineOptions {
  store: Store;
  flow: FlowDocument;
  /** One connector per system id. */
  connectors: ReadonlyMap<string, Connector>;
  /** Discovered entities per system id (for type checks and drift reports); missing entries skip those checks. */
  entities?: ReadonlyMap<string, EntityInfo[]>;
  /**
   * Entities still being discovered when the flow starts. Capture starts at once (receivers listen,
   * sources are read into the inbox); applying waits for this, because the type checks need the
   * targets' fields. It must settle (the runtime bounds each system's discovery with a timeout).
   */
  discovery?: Promise<ReadonlyMap<string, EntityInfo[]>>;
  /** Longest polling interval per system id, for tombstone TTLs. */
  pollIntervals?: ReadonlyMap<string, number>;
  clock?: Clock;
  random?: () => number;
  hooks?: EngineHooks;
  batchSize?: number;
  retry?: RetryPolicy;
  /** Probe backoff while a system is unavailable (1 s doubling to 20 s by default). */
  breaker?: BreakerPolicy;
  /**
   * The most changes a flow's inbox holds before capture is asked to slow down (Postgres stops
   * reading, polling waits, webhooks answer 503 with Retry-After). Default 200,000.
   */
  maxInboxRows?: number;
  /**
   * While senders wait for their acknowledgement (a webhook's 2xx after the fsync), the apply loop
   * waits for a gap in that traffic, at most this long, so that the answers are not queued behind a
   * batch and apply works on bigger batches under load. Capture that acknowledges later (Postgres,
   * polling) never waits. Default 20 ms.
   */
  applyYieldMs?: number;
  /**
   * How long applied customer values (edge history, discarded DLQ entries) are kept before
   * housekeeping purges them (store/retention.ts). Default 7 days.
   */
  retentionMs?: number;
  /** Called after each batch and on errors, for status pushes and logs. */
  onActivity?: () => void;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

const systemClock: Clock = { now: () => Date.now() };
export const DEFAULT_MAX_INBOX_ROWS = 200_000;

/**
 * Runs one flow: capture → durable inbox → dedupe → map → resolve → apply → checkpoint.
 * Every step that matters is ordered so a crash between any two leaves the store consistent:
 * captured changes are committed (with their checkpoint) before the source is acknowledged, and a
 * batch is marked applied (with shadows, links and counters) only after the target accepted it, so
 * a crash re-applies at most the last batch, idempotently.
 *
 * The engine coordinates; the steps live beside it: capture (flow-capture.ts), the apply loop
 * (apply-loop.ts), and per batch plan (batch-plan.ts), match (match-targets.ts), write
 * (batch-write.ts), settle and commit (batch-settle.ts).
 */
export class FlowEngine {
  readonly flowId: string;
  readonly runtimeOrigin: string;
  private readonly store: Store;
  private readonly flow: FlowDocument;
  private readonly connectors: ReadonlyMap<string, Connector>;
  private readonly syncs: Map<string, SyncEdge>;
  private readonly fieldInfo = new Map<string, ReadonlyMap<string, FieldInfo>>();
  private readonly clock: Clock;
  private readonly batchSize: number;
  private readonly ttl = new Map<string, number>();
  readonly metrics = new MetricsRecorder();
  /** Targets that are unavailable: their edges pause and their changes wait in the inbox. */
  private readonly breakers: CircuitBreakers;
  private readonly notices: string[] = [];
  /** Systems seen tagging our writes with our origin: their echoes never reach decide(). */
  private readonly taggingSystems = new Set<string>();
  private running = false;
  private startedAt: number | null = null;
  private readonly ctx: EngineContext;
  private readonly capture: FlowCapture;
  private readonly loop: ApplyLoop;
  private readonly settler: BatchSettler;
  private readonly housekeeper: Housekeeper;

  constructor(private readonly opts: FlowEngineOptions) {
    this.store = opts.store;
    this.flow = opts.flow;
    this.flowId = opts.flow.id;
    this.runtimeOrigin = `${RUNTIME_ORIGIN_PREFIX}${opts.flow.id}`;
    this.connectors = opts.connectors;
    this.syncs = new Map(opts.flow.syncs.map((s) => [s.id, s]));
    this.clock = opts.clock ?? systemClock;
    this.batchSize = opts.batchSize ?? 1000;
    const random = opts.random ?? Math.random;
    this.breakers = new CircuitBreakers(opts.breaker ?? DEFAULT_BREAKER, random);
    this.learnEntities(opts.entities ?? new Map());
    for (const sync of opts.flow.syncs) {
      const longest = Math.max(sync.pollIntervalMs, opts.pollIntervals?.get(sync.a.system) ?? 0, opts.pollIntervals?.get(sync.b.system) ?? 0);
      this.ttl.set(sync.id, tombstoneTtlMs(longest));
    }
    this.ctx = {
      flowId: this.flowId,
      flow: this.flow,
      runtimeOrigin: this.runtimeOrigin,
      store: this.store,
      connectors: this.connectors,
      syncs: this.syncs,
      clock: this.clock,
      random,
      hooks: opts.hooks ?? {},
      retry: opts.retry ?? DEFAULT_RETRY,
      metrics: this.metrics,
      breakers: this.breakers,
      fieldInfo: this.fieldInfo,
      taggingSystems: this.taggingSystems,
      tombstoneTtl: (syncId) => this.tombstoneTtl(syncId),
      systemName: (systemId) => this.systemName(systemId),
      notice: (message) => this.notice(message),
      log: (level, message) => this.opts.log?.(level, message),
    };
    const isRunning = () => this.running;
    this.capture = new FlowCapture(this.ctx, {
      routes: buildRoutes(opts.flow),
      taggingSystems: this.taggingSystems,
      maxInboxRows: opts.maxInboxRows ?? DEFAULT_MAX_INBOX_ROWS,
      isRunning,
      kick: () => this.kick(),
      onActivity: opts.onActivity,
    });
    this.settler = new BatchSettler(this.ctx);
    this.housekeeper = new Housekeeper(this.ctx, this.settler, opts.retentionMs ?? DEFAULT_RETENTION_MS);
    this.loop = new ApplyLoop(this.ctx, {
      isRunning,
      processBatch: () => this.processBatch(),
      housekeeping: () => this.housekeeping(),
      lastAckedCapture: () => this.capture.lastAckedCapture,
      yieldMs: opts.applyYieldMs ?? 20,
    });
  }

  private learnEntities(entities: ReadonlyMap<string, readonly EntityInfo[]>): void {
    for (const [systemId, list] of entities) this.updateEntities(systemId, list);
  }

  /** Newly discovered field types (e.g. before a replay, after the user fixed a column). */
  updateEntities(systemId: string, entities: readonly EntityInfo[]): void {
    for (const e of entities) this.fieldInfo.set(`${systemId}\u0000${e.name}`, new Map(e.fields.map((f) => [f.name, f])));
  }

  /** The tombstone TTL of a sync (shown to the user). */
  tombstoneTtl(syncId: string): number {
    return this.ttl.get(syncId) ?? tombstoneTtlMs(0);
  }

  // ---------------------------------------------------------------- capture

  /** Commit a captured batch to the inbox with its checkpoint; the source may be acknowledged after this returns. */
  commitCaptured(systemId: string, batch: CapturedBatch): { stored: number; duplicates: number; echoes: number } {
    return this.capture.commitCaptured(systemId, batch);
  }

  /** Everything committed so far is on disk once this resolves; concurrent callers share one fsync. */
  durable(): Promise<void> {
    return this.store.durable();
  }

  /** True while the inbox holds more than its bound: capture should stop taking changes. */
  inboxFull(): boolean {
    return this.capture.inboxFull();
  }

  private notice(message: string): void {
    this.notices.push(`${new Date(this.clock.now()).toISOString()} ${message}`);
    if (this.notices.length > 50) this.notices.shift();
    this.opts.log?.('warn', message);
  }

  // ---------------------------------------------------------------- apply

  /**
   * Process one batch of ready inbox rows: plan (decide each change), match unlinked records to
   * their targets, write, then settle the outcome in one store transaction. Exposed for tests,
   * which drive the engine step by step.
   */
  async processBatch(): Promise<BatchOutcome> {
    const now = this.clock.now();
    const paused = this.pausedRoutes(now);
    if (paused === 'all') return { settled: 0, deferred: 0 };
    const rows = this.store.inbox.ready(this.flowId, now, this.batchSize, paused);
    if (rows.length === 0) return { settled: 0, deferred: 0 };

    const plan = await planBatch(this.ctx, rows, now);
    await matchTargets(this.ctx, plan.planned);
    this.ctx.hooks.step?.('apply:before-write');
    await writeBatch(this.ctx, plan.planned);
    this.ctx.hooks.step?.('apply:after-write');
    const settled = this.settler.settle(plan);
    this.ctx.hooks.step?.('apply:after-commit');
    this.opts.onActivity?.();
    return { settled, deferred: plan.deferred };
  }

  /**
   * The routes (`sync|direction`) whose target is unavailable and not due for a probe: their rows
   * stay in the inbox, untouched, and are not read. 'all' when no route may run.
   */
  private pausedRoutes(now: number): string[] | 'all' {
    if (!this.breakers.anyOpen()) return [];
    const blocked = this.breakers.blockedSystems(now);
    if (blocked.size === 0) return [];
    const paused: string[] = [];
    let open = 0;
    for (const sync of this.flow.syncs) {
      if (!sync.enabled) continue;
      for (const direction of directionsOf(sync)) {
        if (blocked.has(sync[targetSide(direction)].system)) paused.push(`${sync.id}|${direction}`);
        else open++;
      }
    }
    return open === 0 ? 'all' : paused;
  }

  private systemName(systemId: string): string {
    return this.flow.systems.find((s) => s.id === systemId)?.name ?? systemId;
  }

  /** The outage of a system, whether writes to it fail or its capture cannot reach it. */
  private outageOf(systemId: string): Outage | null {
    return this.breakers.outage(systemId) ?? this.capture.outage(systemId) ?? null;
  }

  /** Write the applied events still held in memory to the edge history (before it is read). */
  flushHistory(): void {
    if (this.settler.history.size === 0) return;
    const now = this.clock.now();
    this.store.transaction(() => this.settler.history.write(this.store, this.flowId, now), { relaxed: true });
  }

  // ---------------------------------------------------------------- replay

  /**
   * Put dead-lettered changes back into the inbox; they are decided again with the current mapping.
   * Each goes back to its old inbox position, so it applies before the later changes of its record
   * that waited behind it.
   */
  replay(sel: { ids?: number[]; filter?: Parameters<Store['dlq']['select']>[0]['filter'] }): number {
    const now = this.clock.now();
    const entries = this.store.dlq.select({ ids: sel.ids, filter: { ...(sel.filter ?? {}), flowId: this.flowId } });
    let n = 0;
    this.store.transaction(() => {
      for (const e of entries) {
        if (e.errorClass === 'conflict') continue; // a conflict is resolved by choosing a value, not by replaying
        if (!this.store.dlq.remove(e.id)) continue;
        const event = e.event as unknown as ChangeEvent;
        this.store.inbox.add(this.flowId, event, { syncId: e.syncId, direction: e.direction, notBefore: now }, true, e.inboxSeq ?? undefined);
        n++;
      }
    });
    if (n > 0) this.kick();
    return n;
  }

  // ---------------------------------------------------------------- conflicts

  /**
   * Resolve a conflict from the review queue: write the chosen value of each conflicting field to
   * both records (through each side's transforms), remember it in both shadows so the echoes are
   * recognised, and remove the entry. Nothing changes if a write fails; the entry stays.
   */
  async resolveConflict(dlqId: number, choice: { keep: Side } | { value: unknown }): Promise<void> {
    const entry = this.store.dlq.get(dlqId);
    if (!entry || entry.flowId !== this.flowId) throw new ConflictResolutionError(`there is no conflict ${dlqId} in flow "${this.flowId}"`);
    if (entry.errorClass !== 'conflict') throw new ConflictResolutionError(`entry ${dlqId} is a ${entry.errorClass} error, not a conflict: replay or discard it instead`);
    const sync = this.syncs.get(entry.syncId);
    if (!sync) throw new ConflictResolutionError(`the sync "${entry.syncId}" no longer exists: discard the entry`);
    const detail = (entry.detail ?? {}) as { conflicts?: FieldConflict[]; targetKey?: string | null };
    const conflicts = detail.conflicts ?? [];
    const s = sourceSide(entry.direction);
    const otherKey = this.store.links.other(this.flowId, sync.id, s, entry.key) ?? detail.targetKey ?? null;
    const keys: Record<Side, string | null> = { a: s === 'a' ? entry.key : otherKey, b: s === 'b' ? entry.key : otherKey };
    const values: Record<Side, Record<string, unknown>> = { a: {}, b: {} };
    for (const c of conflicts) {
      const m = sync.fields.find((f) => f.a === c.a && f.b === c.b);
      if (!m) continue;
      if ('keep' in choice) {
        const chosen = choice.keep === 'a' ? c.aValue : c.bValue;
        values[choice.keep][choice.keep === 'a' ? c.a : c.b] = chosen;
        if (choice.keep === 'a') values.b[c.b] = applyTransforms(chosen, m.toB);
        else values.a[c.a] = applyTransforms(chosen, m.toA);
      } else {
        values.a[c.a] = choice.value;
        values.b[c.b] = applyTransforms(choice.value, m.toB);
      }
    }
    const now = this.clock.now();
    const writes = (['a', 'b'] as const).filter((side) => keys[side] !== null && Object.keys(values[side]).length > 0);
    const results = await Promise.all(
      writes.map(async (side) => {
        const connector = this.connectors.get(sync[side].system);
        if (!connector) throw new ConflictResolutionError(`system "${sync[side].system}" is not open: start the flow, then resolve`);
        const op: WriteOp = { kind: 'upsert', key: keys[side], fields: values[side], idempotencyKey: `conflict:${dlqId}:${side}`, sourceTime: now };
        const [r] = await connector.write(sync[side].entity, [op], this.runtimeOrigin);
        return { side, r };
      }),
    );
    const failed = results.find((x) => !x.r?.ok);
    if (failed) {
      const r = failed.r;
      throw new ConflictResolutionError(`writing the chosen value to ${sync[failed.side].system} failed: ${r && !r.ok ? r.error.message : 'no result'}`);
    }
    this.store.transaction(() => {
      for (const { side, r } of results) {
        const system = sync[side].system;
        const entity = sync[side].entity;
        const prev = this.store.shadows.get(this.flowId, system, entity, keys[side]!) ?? { fields: {} };
        this.store.shadows.put(this.flowId, system, entity, keys[side]!, patchShadow(prev, values[side], now, !this.taggingSystems.has(system), r?.ok ? r.version : undefined));
      }
      this.store.dlq.remove(dlqId);
    });
    this.opts.onActivity?.();
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Start capture on every source system and the apply loop. Changes left in the inbox by the last
   * run apply at once, and the captures start side by side: a webhook receiver listens without
   * waiting for a database's replication slot or snapshot, or for a system that does not answer.
   */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.startedAt = this.clock.now();
    const discovered = this.opts.discovery
      ? this.opts.discovery.then(
          (entities) => this.learnEntities(entities),
          (e: unknown) => this.notice(`discovery failed (${(e as Error).message}); type checks are off until the next start`),
        )
      : null;
    const signal = this.loop.begin(discovered);
    // Applying starts once the captures have started (below), or at a capture's first commit: a
    // restarted snapshot must see the changes an earlier attempt left waiting before they are applied.
    await this.capture.start(signal);
    this.kick();
  }

  /**
   * Stop capture, let the in-flight batch finish, optionally apply what is ready (bounded by
   * `drainMs`), and stop. Nothing is lost: whatever is still pending stays in the inbox.
   */
  async stop(opts: { drainMs?: number } = {}): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.loop.halt();
    await this.capture.stop();
    // A stopped flow reaches nothing, so it reports no outage; a new start probes at once.
    this.breakers.clear();
    await this.loop.idle();
    if (opts.drainMs) {
      const until = Date.now() + opts.drainMs;
      while (Date.now() < until) {
        const { settled, deferred } = await this.processBatch();
        if (settled === 0 && deferred === 0) break;
      }
    }
    this.housekeeping();
  }

  /** Process everything that is ready now, then return (used by `synccanvas run` on shutdown and by tests). */
  async drainNow(): Promise<void> {
    for (;;) {
      const { settled, deferred } = await this.processBatch();
      if (settled === 0 && deferred === 0) return;
    }
  }

  isRunning(): boolean {
    return this.running;
  }

  /** Ask the apply loop to run on the next event-loop turn (not a timer: a timer adds its delay to every change's lag). */
  kick(): void {
    this.loop.kick();
  }

  private housekeeping(): void {
    this.housekeeper.run();
    this.opts.onActivity?.();
  }

  // What status() reads, kept by the capture and the apply loop.
  private get captures(): ReadonlyMap<string, unknown> {
    return this.capture.handles;
  }

  private get systemErrors(): ReadonlyMap<string, string | null> {
    return this.capture.systemErrors;
  }

  private get systemDetail(): ReadonlyMap<string, Record<string, unknown>> {
    return this.capture.systemDetail;
  }

  private get fatal(): string | null {
    return this.loop.fatal;
  }

  // ---------------------------------------------------------------- status

  private unreachableStatus(systemId: string, now: number): UnreachableStatus | null {
    const o = this.outageOf(systemId);
    if (!o) return null;
    return { systemId, name: this.systemName(systemId), since: o.since, retryAt: Math.max(o.retryAt, now), message: o.message };
  }

  status(): FlowStatus {
    const now = this.clock.now();
    const systems: SystemStatus[] = this.flow.systems.map((s) => ({
      systemId: s.id,
      capturing: this.captures.has(s.id),
      error: this.systemErrors.get(s.id) ?? null,
      detail: this.systemDetail.get(s.id) ?? {},
      unreachable: this.unreachableStatus(s.id, now),
    }));
    const unknown = this.store.unknownFields.list(this.flowId);
    const syncs: SyncStatus[] = this.flow.syncs.map((sync) => {
      const directions: DirectionStats[] = directionsOf(sync).map((direction) => {
        const c = this.store.counters.get(this.flowId, sync.id, direction);
        const live = this.metrics.live(sync.id, direction, now);
        return {
          direction,
          lagMs: live.lag,
          eventsPerSec: live.eventsPerSec,
          applied: c.applied,
          errors: c.errors,
          conflicts: c.conflicts,
          echoesSuppressed: c.echoes,
          ownershipViolations: c.violations,
          tombstones: c.tombstones,
          pending: this.store.inbox.pendingFor(this.flowId, sync.id, direction),
          dlqDepth: this.store.dlq.depth(this.flowId, sync.id, direction),
          lastAppliedAt: c.lastAppliedAt,
        };
      });
      const unreachable = [sync.a.system, sync.b.system]
        .filter((id, i, all) => all.indexOf(id) === i)
        .map((id) => this.unreachableStatus(id, now))
        .filter((u): u is UnreachableStatus => u !== null);
      return {
        syncId: sync.id,
        health: unreachable.length > 0 && this.running ? 'unreachable' : edgeHealth(directions, this.running, directionsOf(sync).map((d) => this.metrics.recent(sync.id, d, now))),
        unreachable,
        tombstoneTtlMs: this.tombstoneTtl(sync.id),
        directions,
        unknownFields: unknown
          .filter((u) => (u.system === sync.a.system && u.entity === sync.a.entity) || (u.system === sync.b.system && u.entity === sync.b.entity))
          .map((u) => ({ system: u.system, field: u.field, firstSeen: u.firstSeen, count: u.count })),
      };
    });
    return {
      flowId: this.flowId,
      running: this.running,
      startedAt: this.startedAt,
      error: this.fatal ?? [...this.systemErrors.values()].find((e) => e) ?? null,
      inboxPending: this.store.inbox.pending(this.flowId),
      dlqDepth: this.store.dlq.depthOfFlow(this.flowId),
      systems,
      syncs,
      notices: [...this.notices],
    };
  }
}

/** Lagging: p95 over 10 s or a backlog; failing: recent errors with a growing DLQ. */
/**
 * Failing: changes failed in the last minute and none got through. Records parked in the DLQ while
 * everything else syncs do not make an edge failing (the DLQ count says they wait): the edge works.
 */
export function edgeHealth(directions: DirectionStats[], running: boolean, recent: readonly { errors: number; events: number }[] = []): EdgeHealth {
  if (!running) return 'idle';
  if (recent.some((r) => r.errors > 0 && r.events === 0)) return 'failing';
  if (directions.some((d) => (d.lagMs.p95 ?? 0) > 10_000 || d.pending > 5_000)) return 'lagging';
  if (directions.every((d) => d.applied === 0 && d.pending === 0)) return 'idle';
  return 'healthy';
}
