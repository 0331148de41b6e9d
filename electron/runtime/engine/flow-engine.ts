import type { DirectionKey, DirectionStats, FlowStatus, SyncStatus, SystemStatus, EdgeHealth, UnreachableStatus } from '../../../shared/api/contract.js';
import type { ChangeEvent } from '../../../shared/events.js';
import { RUNTIME_ORIGIN_PREFIX } from '../../../shared/events.js';
import type { ErrorClass, SyncError } from '../../../shared/errors.js';
import type { FlowDocument, Side, SyncEdge } from '../../../shared/flow/schema.js';
import type { CapturedBatch, CaptureHandle, Connector, EntityInfo, FieldInfo, WriteOp, WriteResult } from '../connectors/types.js';
import type { InboxRow } from '../store/inbox.js';
import { routeKey } from '../store/inbox.js';
import { MAX_PENDING_ECHOES, type FieldShadow, type RecordShadow } from '../store/shadows.js';
import type { Store } from '../store/store.js';
import type { EdgeCounterDelta } from '../store/counters.js';
import { emptyDelta } from '../store/counters.js';
import { HISTORY_PER_EDGE } from '../store/edge-history.js';
import { DEFAULT_RETENTION_MS, purgeAppliedPayloads } from '../store/retention.js';
import { DEFAULT_RETRY, retryDelay, type RetryPolicy } from './backoff.js';
import { decide, type Decision, type FieldConflict } from './decide.js';
import { applyTransforms } from './transforms.js';
import type { EngineHooks } from './engine-hooks.js';
import { MetricsRecorder, BUCKET_MS } from './metrics-recorder.js';
import { buildRoutes, tombstoneTtlMs, type FlowRoute } from './routes.js';
import { sourceSide, targetSide, directionsOf } from './sides.js';
import { normalizeMatch } from './values.js';
import { commitCapturedBatch, UNREADABLE_MESSAGE, type CaptureCommitResult } from './capture-commit.js';
import { applyWaitMs } from './apply-yield.js';
import { CircuitBreakers, DEFAULT_BREAKER, type BreakerPolicy, type Outage } from './circuit-breaker.js';
import { unreachableText } from '../../../shared/unreachable.js';

export class ConflictResolutionError extends Error {}

export interface Clock {
  now(): number;
}

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

interface Planned {
  rows: InboxRow[];
  route: FlowRoute;
  decision: Decision;
  sourceSystem: string;
  targetSystem: string;
  sourceEntity: string;
  targetEntity: string;
  linkedKey: string | null;
  opResult?: WriteResult;
  revertResult?: WriteResult;
  finishedAt?: number;
}

export interface BatchOutcome {
  /** Rows whose fate was settled (applied, skipped, dead-lettered, rescheduled). */
  settled: number;
  /** Rows left for the next batch because another change in this batch touched the same record. */
  deferred: number;
}

const systemClock: Clock = { now: () => Date.now() };
const PRUNE_EVERY_MS = 60 * 60_000;
const DEDUPE_KEEP_MS = 14 * 24 * 60 * 60_000;
const METRICS_KEEP_MS = 30 * 24 * 60 * 60_000;
export const DEFAULT_MAX_INBOX_ROWS = 200_000;
/** How stale the inbox count behind back-pressure may be: a COUNT per captured batch would cost more than the batch. */
const INBOX_CHECK_MS = 250;
/** How often capture that is held back looks again whether the inbox has room. */
const ROOM_POLL_MS = 200;

/**
 * Runs one flow: capture → durable inbox → dedupe → map → resolve → apply → checkpoint.
 * Every step that matters is ordered so a crash between any two leaves the store consistent:
 * captured changes are committed (with their checkpoint) before the source is acknowledged, and a
 * batch is marked applied (with shadows, links and counters) only after the target accepted it, so
 * a crash re-applies at most the last batch, idempotently.
 */
export class FlowEngine {
  readonly flowId: string;
  readonly runtimeOrigin: string;
  private readonly store: Store;
  private readonly flow: FlowDocument;
  private readonly connectors: ReadonlyMap<string, Connector>;
  private readonly routes: Map<string, FlowRoute[]>;
  private readonly syncs: Map<string, SyncEdge>;
  private readonly fieldInfo = new Map<string, ReadonlyMap<string, FieldInfo>>();
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly hooks: EngineHooks;
  private readonly batchSize: number;
  private readonly retry: RetryPolicy;
  private readonly ttl = new Map<string, number>();
  readonly metrics = new MetricsRecorder();
  private readonly captures = new Map<string, CaptureHandle>();
  private readonly systemErrors = new Map<string, string | null>();
  private readonly systemDetail = new Map<string, Record<string, unknown>>();
  /** Targets that are unavailable: their edges pause and their changes wait in the inbox. */
  private readonly breakers: CircuitBreakers;
  /** Sources whose capture cannot reach them (reported by the connector). */
  private readonly sourceOutages = new Map<string, Outage>();
  private readonly maxInboxRows: number;
  /** Pending rows counted at the last check; refreshed at most every INBOX_CHECK_MS. */
  private inboxCount = { at: -Infinity, n: 0 };
  private readonly notices: string[] = [];
  /** Systems seen tagging our writes with our origin: their echoes never reach decide(). */
  private readonly taggingSystems = new Set<string>();
  private running = false;
  /** When a captured batch whose sender waits for our answer (a webhook's 2xx) was last committed. */
  private lastAckedCapture = -Infinity;
  private readonly yieldMs: number;
  private draining: Promise<void> | null = null;
  /** Until discovery settles, applying waits (see FlowEngineOptions.discovery). */
  private discovered: Promise<void> | null = null;
  private drainAgain = false;
  private wakeTimer: NodeJS.Timeout | null = null;
  private lastMetricsFlush = 0;
  private lastPrune = 0;
  private lastRetention = 0;
  /**
   * Applied events not yet written to the edge history (what-if previews), per edge direction. They
   * are written at most once per metrics bucket: an insert and a trim per batch cost as much as the
   * rest of a small batch's commit, and a crash loses only previews' last second, never data.
   */
  private readonly pendingHistory = new Map<string, ChangeEvent[]>();
  private startedAt: number | null = null;
  private fatal: string | null = null;
  private abort = new AbortController();

  constructor(private readonly opts: FlowEngineOptions) {
    this.store = opts.store;
    this.flow = opts.flow;
    this.flowId = opts.flow.id;
    this.runtimeOrigin = `${RUNTIME_ORIGIN_PREFIX}${opts.flow.id}`;
    this.connectors = opts.connectors;
    this.routes = buildRoutes(opts.flow);
    this.syncs = new Map(opts.flow.syncs.map((s) => [s.id, s]));
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    this.hooks = opts.hooks ?? {};
    this.batchSize = opts.batchSize ?? 1000;
    this.retry = opts.retry ?? DEFAULT_RETRY;
    this.yieldMs = opts.applyYieldMs ?? 20;
    this.breakers = new CircuitBreakers(opts.breaker ?? DEFAULT_BREAKER, this.random);
    this.maxInboxRows = opts.maxInboxRows ?? DEFAULT_MAX_INBOX_ROWS;
    this.learnEntities(opts.entities ?? new Map());
    for (const sync of opts.flow.syncs) {
      const longest = Math.max(sync.pollIntervalMs, opts.pollIntervals?.get(sync.a.system) ?? 0, opts.pollIntervals?.get(sync.b.system) ?? 0);
      this.ttl.set(sync.id, tombstoneTtlMs(longest));
    }
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
    this.hooks.step?.('capture:before-commit');
    const now = this.clock.now();
    const result = commitCapturedBatch(this.store, this.flowId, this.routes, this.runtimeOrigin, systemId, batch, now);
    this.captured(systemId, result, batch.notices ?? [], now);
    this.hooks.step?.('capture:after-commit');
    if (result.stored > 0) this.kick();
    return { stored: result.stored, duplicates: result.duplicates, echoes: result.echoes };
  }

  /** What the engine learns from a committed capture batch, wherever it was committed. */
  private captured(systemId: string, result: CaptureCommitResult, notices: readonly string[], now: number): void {
    if (result.sawOwnOrigin) this.taggingSystems.add(systemId);
    for (const [k, n] of result.echoCounts) {
      const [syncId, direction] = k.split('|') as [string, DirectionKey];
      this.metrics.count(syncId, direction, now, 'echoes', n);
    }
    for (const n of notices) this.notice(`${systemId}: ${n}`);
  }

  /** Everything committed so far is on disk once this resolves; concurrent callers share one fsync. */
  durable(): Promise<void> {
    return this.store.durable();
  }

  private notice(message: string): void {
    this.notices.push(`${new Date(this.clock.now()).toISOString()} ${message}`);
    if (this.notices.length > 50) this.notices.shift();
    this.opts.log?.('warn', message);
  }

  // ---------------------------------------------------------------- apply

  /** Process one batch of ready inbox rows. Exposed for tests, which drive the engine step by step. */
  async processBatch(): Promise<BatchOutcome> {
    const now = this.clock.now();
    const paused = this.pausedRoutes(now);
    if (paused === 'all') return { settled: 0, deferred: 0 };
    const rows = this.store.inbox.ready(this.flowId, now, this.batchSize, paused);
    if (rows.length === 0) return { settled: 0, deferred: 0 };

    this.prefetchState(rows);
    // Most flows have few or no tombstones: skip two lookups per change when there are none.
    const anyTombstones = this.store.tombstones.count(this.flowId) > 0;
    const gone = anyTombstones ? await this.sourcesGone(rows, now) : new Map<string, Set<string>>();
    const touched = new Set<string>();
    const deferredRoutes = new Set<string>();
    const consumed = new Set<number>();
    const planned: Planned[] = [];
    const orphaned: InboxRow[] = [];
    let deferred = 0;

    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      if (consumed.has(row.seq)) continue;
      const sync = this.syncs.get(row.syncId);
      if (!sync || !sync.enabled) {
        orphaned.push(row);
        continue;
      }
      const rk = routeKey(row.syncId, row.direction, row.event.key);
      if (deferredRoutes.has(rk)) {
        deferred++;
        continue;
      }
      const s = sourceSide(row.direction);
      const t = targetSide(row.direction);
      const sourceSystem = sync[s].system;
      const targetSystem = sync[t].system;
      const linkedKey = this.store.links.other(this.flowId, sync.id, s, row.event.key);
      const srcRec = `${sourceSystem}\u0000${sync[s].entity}\u0000${row.event.key}`;
      const matchValue = normalizeMatch(row.event.fields[sync.matchKey[s]], sync.matchKey.normalize);
      const tgtRec = linkedKey !== null ? `${targetSystem}\u0000${sync[t].entity}\u0000${linkedKey}` : `${targetSystem}\u0000${sync[t].entity}\u0000match:${matchValue}`;
      // The same person on both sides (one match value) is decided once per batch too: a change from
      // each side must not both create or both match before either is linked.
      const matchRec = matchValue !== null ? `${sync.id}\u0000match\u0000${matchValue}` : null;
      if (touched.has(srcRec) || touched.has(tgtRec) || (matchRec !== null && touched.has(matchRec))) {
        // One decision per record per batch: a later change to it waits for this one's outcome.
        deferredRoutes.add(rk);
        deferred++;
        continue;
      }
      touched.add(srcRec);
      touched.add(tgtRec);
      if (matchRec !== null) touched.add(matchRec);

      let event = row.event;
      const group = [row];
      if (sync.latency.tier !== 'real-time' && event.op === 'upsert') {
        // Coalesce this record's later upserts in the batch into one write (near-real-time and batch tiers).
        for (let j = i + 1; j < rows.length; j++) {
          const other = rows[j]!;
          if (other.syncId !== row.syncId || other.direction !== row.direction || other.event.key !== row.event.key) continue;
          if (other.event.op !== 'upsert') break;
          event = { ...other.event, fields: { ...event.fields, ...other.event.fields } };
          group.push(other);
          consumed.add(other.seq);
        }
      }

      const decision = decide({
        sync,
        direction: row.direction,
        event,
        sourceShadow: this.store.shadows.get(this.flowId, sourceSystem, sync[s].entity, event.key),
        targetShadow: linkedKey !== null ? this.store.shadows.get(this.flowId, targetSystem, sync[t].entity, linkedKey) : null,
        targetKey: linkedKey,
        sourceTombstone: anyTombstones ? this.store.tombstones.get(this.flowId, sourceSystem, sync[s].entity, event.key, now) : null,
        targetTombstone: anyTombstones && linkedKey !== null ? this.store.tombstones.get(this.flowId, targetSystem, sync[t].entity, linkedKey, now) : null,
        runtimeOrigin: this.runtimeOrigin,
        targetFields: this.fieldInfo.get(`${targetSystem}\u0000${sync[t].entity}`) ?? null,
        sourceFields: this.fieldInfo.get(`${sourceSystem}\u0000${sync[s].entity}`) ?? null,
        tombstoneTtlMs: this.tombstoneTtl(sync.id),
        sourceTagsOrigin: this.taggingSystems.has(sourceSystem),
        sourceGone: gone.get(`${sourceSystem}\u0000${sync[s].entity}`)?.has(event.key),
      });
      planned.push({ rows: group, route: { sync, direction: row.direction }, decision, sourceSystem, targetSystem, sourceEntity: sync[s].entity, targetEntity: sync[t].entity, linkedKey });
    }

    await this.resolveMatches(planned);
    this.hooks.step?.('apply:before-write');
    await this.executeWrites(planned);
    this.hooks.step?.('apply:after-write');

    const settled = this.commitBatch(planned, orphaned, anyTombstones);
    this.hooks.step?.('apply:after-commit');
    this.opts.onActivity?.();
    return { settled, deferred };
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

  /** Book a write group's outcome on its system's breaker; log the outage's start, each failed probe and its end. */
  private noteAvailability(system: string, results: readonly WriteResult[]): void {
    const down = results.find((r): r is Extract<WriteResult, { ok: false }> => !r.ok && r.error.errorClass === 'unavailable');
    const now = this.clock.now();
    // Some writes landing while others hit a 429/503 is still a system asking us to back off.
    if (down) {
      const outage = this.breakers.failed(system, now, down.error.message, down.error.retryAfterMs);
      const text = unreachableText(this.systemName(system), outage, now);
      if (outage.failures === 1) this.notice(`${text}: ${down.error.message}`);
      else this.opts.log?.('warn', `${text} (probe ${outage.failures - 1} failed: ${down.error.message})`);
      return;
    }
    const over = this.breakers.succeeded(system);
    if (over) this.notice(`${this.systemName(system)} reachable again after ${Math.round((now - over.since) / 1000)} s; applying the ${this.store.inbox.pending(this.flowId)} waiting changes`);
  }

  private systemName(systemId: string): string {
    return this.flow.systems.find((s) => s.id === systemId)?.name ?? systemId;
  }

  /** A capture connector says whether its source is reachable (null: it is again). */
  private sourceAvailability(systemId: string, problem: { message: string; retryInMs?: number } | null): void {
    const now = this.clock.now();
    const prev = this.sourceOutages.get(systemId);
    if (!problem) {
      if (prev) {
        this.sourceOutages.delete(systemId);
        this.notice(`${this.systemName(systemId)} reachable again after ${Math.round((now - prev.since) / 1000)} s; capture resumed`);
      }
      return;
    }
    const outage: Outage = { since: prev?.since ?? now, retryAt: now + (problem.retryInMs ?? 0), failures: (prev?.failures ?? 0) + 1, message: problem.message };
    this.sourceOutages.set(systemId, outage);
    if (!prev) this.notice(`${unreachableText(this.systemName(systemId), outage, now)}: ${problem.message}`);
    this.opts.onActivity?.();
  }

  /** The outage of a system, whether writes to it fail or its capture cannot reach it. */
  private outageOf(systemId: string): Outage | null {
    return this.breakers.outage(systemId) ?? this.sourceOutages.get(systemId) ?? null;
  }

  /** True while the inbox holds more than its bound: capture should stop taking changes. */
  inboxFull(): boolean {
    const now = performance.now();
    if (now - this.inboxCount.at >= INBOX_CHECK_MS) this.inboxCount = { at: now, n: this.store.inbox.pending(this.flowId) };
    return this.inboxCount.n >= this.maxInboxRows;
  }

  /** Resolves once the inbox is below its bound (or the flow stops): how capture that reads at its own pace is held back. */
  private async room(): Promise<void> {
    let warned = false;
    while (this.running && this.inboxFull()) {
      if (!warned) {
        this.notice(`the inbox holds ${this.inboxCount.n} changes (bound ${this.maxInboxRows}): capture waits until the targets catch up`);
        warned = true;
      }
      await new Promise((r) => setTimeout(r, ROOM_POLL_MS));
    }
  }

  /**
   * Load the links and shadows a batch will read with one query per route and side, instead of one
   * point query per change (most of a batch of new records would miss the cache one by one).
   */
  private prefetchState(rows: readonly InboxRow[]): void {
    const byRoute = new Map<string, { sync: SyncEdge; direction: DirectionKey; keys: Set<string> }>();
    for (const row of rows) {
      const k = `${row.syncId}|${row.direction}`;
      let g = byRoute.get(k);
      if (!g) {
        const sync = this.syncs.get(row.syncId);
        if (!sync) continue;
        byRoute.set(k, (g = { sync, direction: row.direction, keys: new Set() }));
      }
      g.keys.add(row.event.key);
    }
    for (const { sync, direction, keys } of byRoute.values()) {
      const s = sourceSide(direction);
      const t = targetSide(direction);
      this.store.links.prefetch(this.flowId, sync.id, s, keys);
      this.store.shadows.prefetch(this.flowId, sync[s].system, sync[s].entity, keys);
      const linked: string[] = [];
      for (const key of keys) {
        const other = this.store.links.other(this.flowId, sync.id, s, key);
        if (other !== null) linked.push(other);
      }
      this.store.shadows.prefetch(this.flowId, sync[t].system, sync[t].entity, linked);
    }
  }

  /** The same for the records a batch's writes created or found: their links and shadows are read at commit. */
  private prefetchWritten(planned: readonly Planned[]): void {
    const byTarget = new Map<string, { sync: SyncEdge; direction: DirectionKey; system: string; entity: string; keys: string[] }>();
    for (const p of planned) {
      if (p.decision.kind !== 'write' || p.decision.op?.kind !== 'upsert' || !p.opResult?.ok || p.opResult.key === p.linkedKey) continue;
      const k = `${p.route.sync.id}|${p.route.direction}`;
      let g = byTarget.get(k);
      if (!g) byTarget.set(k, (g = { sync: p.route.sync, direction: p.route.direction, system: p.targetSystem, entity: p.targetEntity, keys: [] }));
      g.keys.push(p.opResult.key);
    }
    for (const g of byTarget.values()) {
      this.store.links.prefetch(this.flowId, g.sync.id, targetSide(g.direction), g.keys);
      this.store.shadows.prefetch(this.flowId, g.system, g.entity, g.keys);
    }
  }

  /**
   * For upserts of records the runtime itself deleted: which of them are gone at their source. Such
   * a change was made before our delete (a late echo or edit) and must not resurrect the record; the
   * delete time cannot tell, being another system's clock. Absent from the map: unknown (read failed).
   */
  private async sourcesGone(rows: InboxRow[], now: number): Promise<Map<string, Set<string>>> {
    const ask = new Map<string, { system: string; entity: string; keys: Set<string> }>();
    for (const row of rows) {
      if (row.event.op !== 'upsert') continue;
      const t = this.store.tombstones.get(this.flowId, row.event.system, row.event.entity, row.event.key, now);
      if (!t?.bySync) continue;
      const k = `${row.event.system}\u0000${row.event.entity}`;
      let q = ask.get(k);
      if (!q) ask.set(k, (q = { system: row.event.system, entity: row.event.entity, keys: new Set() }));
      q.keys.add(row.event.key);
    }
    const out = new Map<string, Set<string>>();
    await Promise.all(
      [...ask].map(async ([k, q]) => {
        const connector = this.connectors.get(q.system);
        if (!connector) return;
        try {
          const found = new Set((await connector.readByKeys(q.entity, [...q.keys])).map((r) => r.key));
          out.set(k, new Set([...q.keys].filter((key) => !found.has(key))));
        } catch {
          /* unknown: decide() falls back to comparing times */
        }
      }),
    );
    return out;
  }

  /**
   * Record matching for records not linked yet: one read per target (all match values of the batch),
   * then per change: exactly one unlinked candidate → update it; several → invalid (duplicates to
   * clean up first); none free (all linked to other records) → create a new one. A record already
   * linked to another is never taken over, so two source records never share one target.
   */
  private async resolveMatches(planned: Planned[]): Promise<void> {
    const groups = new Map<string, { system: string; entity: string; field: string; normalize: 'exact' | 'lowercase-trim'; items: Planned[] }>();
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
        const connector = this.connectors.get(g.system);
        if (!connector) return;
        let found: { key: string; fields: Record<string, unknown> }[];
        try {
          found = await connector.findByField(g.entity, g.field, g.items.map((p) => (p.decision.op as { match: { value: unknown } }).match.value), g.normalize);
        } catch {
          return; // the connector matches by itself when writing
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
            const owner = this.store.links.other(this.flowId, sync.id, t, k);
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
            const partners = all.map((k) => this.store.links.other(this.flowId, sync.id, t, k)).filter((k): k is string => k !== null);
            const now = await this.twinAtSource(p.sourceSystem, sync[s].entity, [sourceKey], sync.matchKey[s], g.normalize);
            const original = now.get(sourceKey) === value ? await this.twinAtSource(p.sourceSystem, sync[s].entity, partners, sync.matchKey[s], g.normalize) : new Map<string, string | null>();
            if (now.get(sourceKey) !== value || ![...original.values()].includes(value)) {
              // Not known to be a twin now (it or the record it duplicates is gone or has another
              // value since, or a read failed): it gets its own record, which later changes (a
              // delete, the new value) then update.
              p.decision = { ...p.decision, op: { ...op, match: undefined } };
              continue;
            }
            const synced = all.map((k) => `${g.entity} ${k}, which is already synced with ${sync[s].entity} ${this.store.links.other(this.flowId, sync.id, t, k) ?? '?'}`);
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
  private async twinAtSource(system: string, entity: string, keys: string[], field: string, normalize: 'exact' | 'lowercase-trim'): Promise<Map<string, string | null>> {
    const out = new Map<string, string | null>(keys.map((k) => [k, null]));
    const connector = this.connectors.get(system);
    if (!connector || keys.length === 0) return out;
    try {
      const found = new Map((await connector.readByKeys(entity, keys)).map((r) => [r.key, r.fields]));
      for (const k of keys) out.set(k, found.has(k) ? (normalizeMatch(found.get(k)![field], normalize) ?? '') : '');
    } catch {
      /* unknown */
    }
    return out;
  }

  private async executeWrites(planned: Planned[]): Promise<void> {
    // Group by target (system, entity): one write call per target per batch; targets in parallel.
    const groups = new Map<string, { system: string; entity: string; ops: WriteOp[]; sinks: ((r: WriteResult) => void)[] }>();
    const add = (system: string, entity: string, op: WriteOp, sink: (r: WriteResult) => void) => {
      const k = `${system}\u0000${entity}`;
      let g = groups.get(k);
      if (!g) groups.set(k, (g = { system, entity, ops: [], sinks: [] }));
      g.ops.push(op);
      g.sinks.push(sink);
    };
    for (const p of planned) {
      if (p.decision.kind !== 'write') continue;
      if (p.decision.op) add(p.targetSystem, p.targetEntity, p.decision.op, (r) => (p.opResult = r));
      if (p.decision.revert) add(p.sourceSystem, p.sourceEntity, p.decision.revert, (r) => (p.revertResult = r));
    }
    await Promise.all(
      [...groups.values()].map(async (g) => {
        const connector = this.connectors.get(g.system);
        let results: WriteResult[];
        if (!connector) {
          results = g.ops.map(() => ({ ok: false, error: { errorClass: 'permanent', message: `system "${g.system}" has no connector: check the flow` } }) as WriteResult);
        } else {
          try {
            results = await connector.write(g.entity, g.ops, this.runtimeOrigin);
            if (results.length !== g.ops.length) throw new Error(`connector returned ${results.length} results for ${g.ops.length} writes`);
          } catch (e) {
            const err = e as Error & { errorClass?: SyncError['errorClass']; retryAfterMs?: number };
            const error: SyncError = { errorClass: err.errorClass ?? 'transient', message: err.message };
            if (err.retryAfterMs !== undefined) error.retryAfterMs = err.retryAfterMs;
            results = g.ops.map(() => ({ ok: false, error }) as WriteResult);
          }
        }
        if (connector) this.noteAvailability(g.system, results);
        const done = this.clock.now();
        results.forEach((r, i) => g.sinks[i]!(r));
        for (const p of planned) if (p.finishedAt === undefined && (p.opResult || p.revertResult)) p.finishedAt = done;
      }),
    );
  }

  private commitBatch(planned: Planned[], orphaned: InboxRow[], anyTombstones: boolean): number {
    const now = this.clock.now();
    const deltas = new Map<string, EdgeCounterDelta>();
    const delta = (syncId: string, direction: string) => {
      const k = `${syncId}|${direction}`;
      let d = deltas.get(k);
      if (!d) deltas.set(k, (d = emptyDelta()));
      return d;
    };
    const metricEvents: (() => void)[] = [];
    let settled = 0;
    this.prefetchWritten(planned);
    // Settled inbox rows, deleted with one statement at the end of the transaction.
    const done: number[] = [];

    this.store.transaction(() => {
      for (const row of orphaned) {
        this.deadLetter(row, row.event, 'permanent', `the sync "${row.syncId}" was removed or disabled after this change was captured: re-enable it and replay, or discard`, null, null, now);
        done.push(row.seq);
        settled++;
      }
      for (const p of planned) {
        const { decision, route } = p;
        const { sync, direction } = route;
        const d = delta(sync.id, direction);
        const head = p.rows[p.rows.length - 1]!;
        const event = head.event;
        const first = p.rows[0]!;

        if (decision.kind === 'write' && decision.op && p.opResult && !p.opResult.ok) {
          const err = p.opResult.error;
          // The target is unavailable, not this record: its rows stay as they are (no attempt
          // used) and the route waits for the breaker's probe.
          if (err.errorClass === 'unavailable') continue;
          const errorClass: ErrorClass = err.errorClass;
          const attempts = first.attempts + 1;
          if (err.errorClass === 'transient' && attempts < this.retry.maxAttempts) {
            const delay = retryDelay(attempts, this.retry, this.random, err.retryAfterMs);
            for (const r of p.rows) this.store.inbox.reschedule(r.seq, attempts, now + delay, err.message, now);
          } else {
            this.deadLetter(first, event, errorClass, err.message, err.response ?? null, decision.payload, now, attempts);
            for (const r of p.rows) done.push(r.seq);
            d.errors++;
            metricEvents.push(() => this.metrics.count(sync.id, direction, now, 'errors'));
          }
          settled += p.rows.length;
          continue;
        }

        if (decision.kind === 'write' && decision.revert && p.revertResult && !p.revertResult.ok) {
          // The correction written back to the source (an owner's value, a shared field's winner)
          // failed: the change is not done until the source holds it too, or the two sides stay apart
          // for good. Decided again later; the target write it already made is not made twice (the
          // writers skip a row that already holds the values).
          const err = p.revertResult.error;
          const attempts = err.errorClass === 'unavailable' ? first.attempts : first.attempts + 1;
          if (err.errorClass === 'unavailable' || (err.errorClass === 'transient' && attempts < this.retry.maxAttempts)) {
            const delay = retryDelay(Math.max(1, attempts), this.retry, this.random, err.retryAfterMs);
            for (const r of p.rows) this.store.inbox.reschedule(r.seq, attempts, now + delay, err.message, now);
          } else {
            this.deadLetter(first, event, err.errorClass, `writing the winning value back to ${this.systemName(p.sourceSystem)} failed: ${err.message}`, err.response ?? null, decision.revertShadowPatch, now, attempts);
            for (const r of p.rows) done.push(r.seq);
            d.errors++;
            metricEvents.push(() => this.metrics.count(sync.id, direction, now, 'errors'));
          }
          settled += p.rows.length;
          continue;
        }

        if (decision.kind === 'write' && decision.op?.kind === 'upsert' && decision.op.key !== null && p.opResult?.ok && p.opResult.note === 'not-found') {
          // The linked record was deleted on the target meanwhile: a delete and an edit raced, and the
          // delete wins. The link stays, so the target's delete event removes this record too.
          for (const r of p.rows) done.push(r.seq);
          d.stale++;
          settled += p.rows.length;
          continue;
        }

        if (decision.kind === 'invalid') {
          for (const f of decision.unknownFields) this.store.unknownFields.add(this.flowId, p.sourceSystem, p.sourceEntity, f, now, 1);
          this.deadLetter(first, event, decision.error!.errorClass, decision.error!.message, null, decision.payload, now, first.attempts + 1);
          for (const r of p.rows) done.push(r.seq);
          d.errors++;
          metricEvents.push(() => this.metrics.count(sync.id, direction, now, 'errors'));
          settled += p.rows.length;
          continue;
        }

        // Applied or skipped: remember what we now know, then drop the rows.
        const s = sourceSide(direction);
        if (decision.skipReason === 'not-linked' && this.store.links.other(this.flowId, sync.id, s, event.key) !== null) {
          // Another change in this batch just linked this record: decide the delete again, now linked.
          continue;
        }
        if (decision.nextSourceShadow) {
          let next: RecordShadow = decision.nextSourceShadow;
          if (decision.revert && p.revertResult?.ok && decision.revertShadowPatch) next = patchShadow(next, decision.revertShadowPatch, event.sourceTime, !this.taggingSystems.has(p.sourceSystem), p.revertResult.version);
          this.store.shadows.put(this.flowId, p.sourceSystem, p.sourceEntity, event.key, next);
        } else {
          this.store.shadows.remove(this.flowId, p.sourceSystem, p.sourceEntity, event.key);
        }
        if (decision.clearSourceTombstone && decision.kind === 'write') this.store.tombstones.remove(this.flowId, p.sourceSystem, p.sourceEntity, event.key);
        if (decision.deletes) {
          this.store.tombstones.put(this.flowId, p.sourceSystem, p.sourceEntity, event.key, decision.deletes.tombstoneSource);
          if (decision.deletes.tombstoneTarget && p.linkedKey !== null) {
            // The target's shadow stays: echoes of our earlier writes to it may still arrive, and must be recognised.
            this.store.tombstones.put(this.flowId, p.targetSystem, p.targetEntity, p.linkedKey, decision.deletes.tombstoneTarget);
            d.tombstones++;
          }
          this.store.links.unlink(this.flowId, sync.id, s, event.key);
        }
        if (decision.kind === 'write' && decision.op && p.opResult?.ok) {
          const targetKey = p.opResult.key;
          if (decision.op.kind === 'upsert') {
            if (p.linkedKey !== targetKey) {
              if (s === 'a') this.store.links.link(this.flowId, sync.id, event.key, targetKey, now);
              else this.store.links.link(this.flowId, sync.id, targetKey, event.key, now);
              // Linked to a record its own system deleted before it was linked (its delete found no
              // link then): the delete applies now.
              const tomb = anyTombstones ? this.store.tombstones.get(this.flowId, p.targetSystem, p.targetEntity, targetKey, now) : null;
              const back = targetSide(direction) === 'a' ? 'a-to-b' : 'b-to-a';
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
                this.store.tombstones.remove(this.flowId, p.targetSystem, p.targetEntity, targetKey);
                this.store.inbox.add(this.flowId, del, { syncId: sync.id, direction: back, notBefore: now });
              }
            }
            const patch = p.opResult.created && decision.op.insertOnly ? { ...decision.op.insertOnly, ...decision.targetShadowPatch } : decision.targetShadowPatch;
            if (patch) {
              const prev = this.store.shadows.get(this.flowId, p.targetSystem, p.targetEntity, targetKey) ?? { fields: {} };
              this.store.shadows.put(this.flowId, p.targetSystem, p.targetEntity, targetKey, patchShadow(prev, patch, event.sourceTime, !this.taggingSystems.has(p.targetSystem), p.opResult.version));
            }
            if (anyTombstones) this.store.tombstones.remove(this.flowId, p.targetSystem, p.targetEntity, targetKey);
          }
          // The last applied events per edge, kept (bounded) for what-if previews on history.
          const hk = `${sync.id}|${direction}`;
          const recent = this.pendingHistory.get(hk);
          if (recent) recent.push(event);
          else this.pendingHistory.set(hk, [event]);
          d.applied += p.rows.length;
          d.lastAppliedAt = p.finishedAt ?? now;
          // A replay applies an old change on purpose: its age is not lag, and counting it would keep
          // the p99 (and a lag alert) up for a minute after someone fixed a record.
          const lag = p.rows.every((r) => r.replay) ? null : (p.finishedAt ?? now) - event.sourceTime;
          metricEvents.push(() => this.metrics.applied(sync.id, direction, p.finishedAt ?? now, lag));
        } else if (decision.skipReason === 'echo') {
          d.echoes++;
          metricEvents.push(() => this.metrics.count(sync.id, direction, now, 'echoes'));
        } else if (decision.skipReason === 'stale' || decision.skipReason === 'tombstoned') {
          d.stale++;
        }
        if (decision.revert && p.revertResult && !p.revertResult.ok) d.errors++;
        d.violations += decision.violations.length;
        if (decision.conflicts.length > 0) {
          d.conflicts += decision.conflicts.length;
          const t = targetSide(direction);
          const message = `conflicting edits to ${decision.conflicts.map((c) => `"${c[s]}"`).join(', ')} on both sides within the tolerance window: choose which value to keep`;
          this.deadLetter(first, event, 'conflict', message, null, decision.payload, now, 1, { conflicts: decision.conflicts, targetKey: p.linkedKey, targetSide: t });
          metricEvents.push(() => this.metrics.count(sync.id, direction, now, 'conflicts', decision.conflicts.length));
        }
        for (const f of decision.unknownFields) this.store.unknownFields.add(this.flowId, p.sourceSystem, p.sourceEntity, f, now, 1);
        for (const r of p.rows) done.push(r.seq);
        settled += p.rows.length;
      }
      this.store.inbox.removeMany(done);
      for (const [k, d] of deltas) {
        const [syncId, direction] = k.split('|') as [string, string];
        this.store.counters.add(this.flowId, syncId, direction, d);
      }
      for (const list of this.pendingHistory.values()) if (list.length > HISTORY_PER_EDGE) list.splice(0, list.length - HISTORY_PER_EDGE);
      for (const f of metricEvents) f();
      if (now - this.lastMetricsFlush >= BUCKET_MS) {
        this.writeHistory(now);
        for (const b of this.metrics.snapshot(this.flowId, (syncId, dir) => this.store.dlq.depth(this.flowId, syncId, dir), this.lastMetricsFlush)) this.store.metrics.put(b);
        this.lastMetricsFlush = now;
      }
    }, { relaxed: true });
    return settled;
  }

  private writeHistory(now: number): void {
    for (const [k, events] of this.pendingHistory) {
      const [syncId, direction] = k.split('|') as [string, DirectionKey];
      this.store.history.record(this.flowId, syncId, direction, events, now);
    }
    this.pendingHistory.clear();
  }

  /** Write the applied events still held in memory to the edge history (before it is read). */
  flushHistory(): void {
    if (this.pendingHistory.size === 0) return;
    const now = this.clock.now();
    this.store.transaction(() => this.writeHistory(now), { relaxed: true });
  }

  private deadLetter(
    row: InboxRow,
    event: ChangeEvent,
    errorClass: ErrorClass,
    message: string,
    response: string | null,
    payload: Record<string, unknown> | null,
    now: number,
    attempts = 1,
    detail?: Record<string, unknown>,
  ): void {
    const sync = this.syncs.get(row.syncId);
    const t = targetSide(row.direction);
    const entry = {
      flowId: this.flowId,
      syncId: row.syncId,
      direction: row.direction,
      event,
      sourceSystem: event.system,
      targetSystem: sync ? sync[t].system : '(removed)',
      errorClass,
      message,
      response,
      attempts,
      firstFailedAt: row.firstFailedAt ?? now,
      lastFailedAt: now,
      payload,
      inboxSeq: row.seq,
    };
    this.store.dlq.add(detail ? { ...entry, detail } : entry);
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
        // An unreadable queue message holds no change: it is fixed at the publisher and sent again, then discarded here.
        if ((e.detail as { kind?: unknown } | null)?.kind === UNREADABLE_MESSAGE) continue;
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
    this.fatal = null;
    this.abort = new AbortController();
    this.startedAt = this.clock.now();
    if (this.opts.discovery) {
      this.discovered = this.opts.discovery.then(
        (entities) => this.learnEntities(entities),
        (e: unknown) => this.notice(`discovery failed (${(e as Error).message}); type checks are off until the next start`),
      );
    }
    // Applying starts once the captures have started (below), or at a capture's first commit: a
    // restarted snapshot must see the changes an earlier attempt left waiting before they are applied.
    const sources = new Map<string, Set<string>>();
    for (const sync of this.flow.syncs) {
      if (!sync.enabled) continue;
      for (const direction of directionsOf(sync)) {
        const src = sync[sourceSide(direction)];
        let set = sources.get(src.system);
        if (!set) sources.set(src.system, (set = new Set()));
        set.add(src.entity);
      }
    }
    const signal = this.abort.signal;
    await Promise.all([...sources].map(([systemId, entities]) => this.startCapture(systemId, [...entities], signal)));
    this.kick();
  }

  private async startCapture(systemId: string, entities: string[], signal: AbortSignal): Promise<void> {
    const connector = this.connectors.get(systemId);
    if (!connector) {
      this.systemErrors.set(systemId, `no connector for system "${systemId}"`);
      return;
    }
    try {
      const handle = await connector.startCapture({
        entities,
        checkpoint: this.store.checkpoints.get(this.flowId, systemId),
        signal,
        sink: async (batch) => {
          this.commitCaptured(systemId, batch);
          if (batch.durable) {
            this.lastAckedCapture = performance.now();
            await this.durable();
          }
          // Back-pressure: a capture that reads at its own pace waits here until the inbox has
          // room (one batch past the bound at most). A receiver whose sender waits for the answer
          // (durable batches) must not be held: it asks inboxFull() first and answers 503.
          else if (this.inboxFull()) await this.room();
        },
        durable: () => this.durable(),
        inboxFull: () => this.inboxFull(),
        deliveries: { find: (id, contentHash, nowMs) => this.store.seenDeliveries.find(this.flowId, systemId, id, contentHash, nowMs) },
        reportStatus: (status) => this.systemDetail.set(systemId, status),
        reportAvailability: (problem) => this.sourceAvailability(systemId, problem),
      });
      if (!this.running || signal.aborted) {
        // Stopped while capture was starting.
        await handle.stop();
        return;
      }
      this.captures.set(systemId, handle);
      this.systemErrors.set(systemId, null);
    } catch (e) {
      this.systemErrors.set(systemId, (e as Error).message);
      this.notice(`capture of "${systemId}" failed to start: ${(e as Error).message}`);
    }
  }

  /**
   * Stop capture, let the in-flight batch finish, optionally apply what is ready (bounded by
   * `drainMs`), and stop. Nothing is lost: whatever is still pending stays in the inbox.
   */
  async stop(opts: { drainMs?: number } = {}): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.abort.abort();
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = null;
    await Promise.allSettled([...this.captures.values()].map((h) => h.stop()));
    this.captures.clear();
    // A stopped flow reaches nothing, so it reports no outage; a new start probes at once.
    this.breakers.clear();
    this.sourceOutages.clear();
    await this.draining;
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
    if (!this.running) return;
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.draining = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.drainLoop());
  }

  private async drainLoop(): Promise<void> {
    try {
      for (;;) {
        this.drainAgain = false;
        if (!this.running) break;
        if (this.discovered) {
          // A stop must not wait for a system that does not answer discovery.
          const stopped = this.abort.signal;
          await Promise.race([this.discovered, new Promise((r) => stopped.addEventListener('abort', r, { once: true }))]);
          if (!this.running) break;
          this.discovered = null;
        }
        await this.yieldToCapture();
        if (!this.running) break;
        const { settled, deferred } = await this.processBatch();
        if (settled === 0 && deferred === 0 && !this.drainAgain) break;
        // A batch against a synchronous target (SQLite) settles in microtasks only: without a turn of
        // the event loop here, a backlog would starve timers and sockets until it is drained (the
        // API, webhook receivers, capture polls: seconds to minutes after a restart).
        await new Promise((r) => setImmediate(r));
      }
      this.fatal = null;
    } catch (e) {
      this.fatal = (e as Error).message;
      this.opts.log?.('error', `apply loop error: ${(e as Error).stack ?? e}`);
    } finally {
      this.draining = null;
      this.armTimer();
    }
  }

  /**
   * While senders are waiting for answers (webhook commits within the last QUIET_MS), wait for a
   * quiet moment, at most yieldMs: the answers go first and apply takes what piled up in one batch.
   */
  private async yieldToCapture(): Promise<void> {
    const since = performance.now();
    for (;;) {
      const wait = applyWaitMs(performance.now(), this.lastAckedCapture, since, this.yieldMs);
      if (wait <= 0) return;
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  private armTimer(): void {
    if (!this.running) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    const now = this.clock.now();
    const wake = this.fatal ? now + 1000 : this.store.inbox.nextWake(this.flowId, now);
    const probe = this.breakers.nextProbe();
    const next = probe === null ? wake : Math.min(wake ?? Infinity, probe);
    // Periodic wake-up also keeps metrics and housekeeping flowing when idle.
    const at = Math.min(next ?? Infinity, now + BUCKET_MS);
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = null;
      this.housekeeping();
      this.kick();
    }, Math.max(0, at - now));
    this.wakeTimer.unref?.();
  }

  private housekeeping(): void {
    const now = this.clock.now();
    this.store.transaction(() => {
      this.writeHistory(now);
      for (const b of this.metrics.snapshot(this.flowId, (syncId, dir) => this.store.dlq.depth(this.flowId, syncId, dir), this.lastMetricsFlush)) this.store.metrics.put(b);
      if (now - this.lastPrune >= PRUNE_EVERY_MS) {
        // Bounded growth: event ids outlive any source's redelivery (webhook senders retry for days),
        // metrics are kept for the dashboard's longest range, tombstones until their TTL.
        this.store.inbox.pruneSeen(now - DEDUPE_KEEP_MS);
        this.store.metrics.prune(now - METRICS_KEEP_MS);
        this.store.tombstones.expire(now);
        this.store.seenDeliveries.prune(now);
        this.lastPrune = now;
      }
      // Applied payloads are purged on a cadence of their own: a short window (a test, a strict
      // policy) must not wait for the hourly prune.
      const retentionMs = this.opts.retentionMs ?? DEFAULT_RETENTION_MS;
      if (now - this.lastRetention >= Math.min(PRUNE_EVERY_MS, Math.max(1000, retentionMs / 4))) {
        purgeAppliedPayloads(this.store, now, retentionMs);
        this.lastRetention = now;
      }
    }, { relaxed: true });
    this.lastMetricsFlush = now;
    this.opts.onActivity?.();
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

function patchShadow(prev: RecordShadow, patch: Record<string, unknown>, t: number, trackEchoes = false, version?: number): RecordShadow {
  const fields = { ...prev.fields };
  for (const [k, v] of Object.entries(patch)) {
    const before = prev.fields[k];
    const f: FieldShadow = { v, t, by: 'sync' };
    if (trackEchoes && version === undefined) f.p = [...(before?.by === 'sync' && before.p ? before.p : []), v].slice(-MAX_PENDING_ECHOES);
    if (version !== undefined) f.w = version;
    fields[k] = f;
  }
  return version !== undefined ? { ...prev, fields, written: [...(prev.written ?? []), version].slice(-MAX_PENDING_ECHOES) } : { ...prev, fields };
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
