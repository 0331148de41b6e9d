import { RUNTIME_ORIGIN_PREFIX } from '../../../shared/events.js';
import type { FlowDocument, SyncEdge } from '../../../shared/flow/schema.js';
import type { CapturedBatch, Connector, EntityInfo, FieldInfo } from '../connectors/types.js';
import type { Store } from '../store/store.js';
import { DEFAULT_RETENTION_MS } from '../store/retention.js';
import { DEFAULT_RETRY, type RetryPolicy } from './backoff.js';
import type { EngineHooks } from './engine-hooks.js';
import type { TransformContext } from './transforms.js';
import { MetricsRecorder } from './metrics-recorder.js';
import { buildRoutes, tombstoneTtlMs } from './routes.js';
import { targetSide, directionsOf } from './sides.js';
import { CircuitBreakers, DEFAULT_BREAKER, type BreakerPolicy, type Outage } from './circuit-breaker.js';
import type { Clock, EngineContext } from './engine-context.js';
import { FlowCapture } from './flow-capture.js';
import { ApplyLoop, type BatchOutcome } from './apply-loop.js';
import { planBatch } from './batch-plan.js';
import { matchTargets } from './match-targets.js';
import { writeBatch } from './batch-write.js';
import { BatchSettler } from './batch-settle.js';
import { Housekeeper } from './housekeeping.js';
import type { LiveFlowState } from './live-state.js';

export type { Clock } from './engine-context.js';
export type { BatchOutcome } from './apply-loop.js';


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
  /** Token keys for masking transforms, loaded from the secret provider chain at start (docs/ai-feeds.md). */
  transformContext?: TransformContext;
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
  readonly store: Store;
  readonly flow: FlowDocument;
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
      transformContext: opts.transformContext,
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
      batchSettled: () => this.loop.batchSettled(),
      settledRows: () => this.loop.settledRows,
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
    for (const e of entities) {
      if (e.openFields) continue; // no fixed fields to check against (a JSONL folder)
      this.fieldInfo.set(`${systemId}\u0000${e.name}`, new Map(e.fields.map((f) => [f.name, f])));
    }
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

  /**
   * What only the running engine knows (captures, outages, live lag, notices), for the status
   * operation (operations/flow-status.ts) and conflict resolution; everything else is in the store.
   */
  liveState(): LiveFlowState {
    return {
      now: this.clock.now(),
      running: this.running,
      startedAt: this.startedAt,
      fatal: this.fatal,
      capturing: (systemId) => this.captures.has(systemId),
      systemError: (systemId) => this.systemErrors.get(systemId) ?? null,
      systemDetail: (systemId) => this.systemDetail.get(systemId) ?? {},
      firstSystemError: () => [...this.systemErrors.values()].find((e) => e) ?? null,
      outage: (systemId) => this.outageOf(systemId),
      notices: [...this.notices],
      metrics: this.metrics,
      tombstoneTtl: (syncId) => this.tombstoneTtl(syncId),
      tagsWrites: (systemId) => this.taggingSystems.has(systemId),
      connectors: this.connectors,
      transformContext: this.opts.transformContext,
    };
  }
}
