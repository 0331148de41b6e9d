import type { DirectionKey } from '../../../shared/api/contract.js';
import type { CapturedBatch, CaptureHandle } from '../connectors/types.js';
import { unreachableText } from '../../../shared/unreachable.js';
import { commitCapturedBatch, type CaptureCommitResult } from './capture-commit.js';
import type { Outage } from './circuit-breaker.js';
import type { EngineContext } from './engine-context.js';
import type { FlowRoute } from './routes.js';
import { directionsOf, sourceSide } from './sides.js';

/** How stale the inbox count behind back-pressure may be: a COUNT per captured batch would cost more than the batch. */
const INBOX_CHECK_MS = 250;
/** How often capture that is held back looks again whether the inbox has room. */
const ROOM_POLL_MS = 200;
/**
 * How many rows capture may be ahead of apply (committed, not yet settled) before it waits for the
 * apply batch in flight. Without it a backlog is read and committed as fast as the stream delivers
 * it, and the apply loop, sharing the one event loop, gets one step per capture turn: the target
 * sits idle until capture has read everything, and apply then sits idle while the target works.
 * With it, capture goes at apply's pace, fills the time apply waits for the target's answer, and
 * the target always has a write to work on. Two apply batches.
 */
const LEAD_ROWS = 2_000;

export interface FlowCaptureOptions {
  routes: ReadonlyMap<string, FlowRoute[]>;
  /** Systems seen tagging our writes with our origin (the engine's set, filled in here). */
  taggingSystems: Set<string>;
  maxInboxRows: number;
  isRunning: () => boolean;
  /** New changes are in the inbox: the apply loop should run. */
  kick: () => void;
  /** Resolves when the apply batch in flight is settled; null when none is (see ApplyLoop.batchSettled). */
  batchSettled?: () => Promise<void> | null;
  /** Rows the apply loop has settled so far (a growing count). */
  settledRows?: () => number;
  onActivity?: () => void;
}

/**
 * The capture half of a flow: starts every source's capture, commits what it hands over to the
 * durable inbox (with its checkpoint) before the source is acknowledged, holds capture back while
 * the inbox is over its bound, and keeps what the sources report (errors, status, outages).
 */
export class FlowCapture {
  readonly handles = new Map<string, CaptureHandle>();
  readonly systemErrors = new Map<string, string | null>();
  readonly systemDetail = new Map<string, Record<string, unknown>>();
  /** Sources whose capture cannot reach them (reported by the connector). */
  private readonly sourceOutages = new Map<string, Outage>();
  /** Pending rows counted at the last check; refreshed at most every INBOX_CHECK_MS. */
  private inboxCount = { at: -Infinity, n: 0 };
  /** When a captured batch whose sender waits for our answer (a webhook's 2xx) was last committed. */
  lastAckedCapture = -Infinity;
  /** Rows committed by capture that reads at its own pace and not yet settled by apply (an estimate: never below 0). */
  private leadRows = 0;
  /** The apply loop's settled count when the lead was last brought up to date. */
  private seenSettled = 0;

  constructor(private readonly ctx: EngineContext, private readonly opts: FlowCaptureOptions) {}

  /**
   * Start capture on every system a sync direction reads, side by side: a webhook receiver listens
   * without waiting for a database's replication slot or snapshot, or for a system that does not answer.
   */
  async start(signal: AbortSignal): Promise<void> {
    const sources = new Map<string, Set<string>>();
    for (const sync of this.ctx.flow.syncs) {
      if (!sync.enabled) continue;
      for (const direction of directionsOf(sync)) {
        const src = sync[sourceSide(direction)];
        let set = sources.get(src.system);
        if (!set) sources.set(src.system, (set = new Set()));
        set.add(src.entity);
      }
    }
    await Promise.all([...sources].map(([systemId, entities]) => this.startOne(systemId, [...entities], signal)));
  }

  /** Stop every capture; in-flight batches are committed or abandoned, never half-written. A stopped flow reports no outage. */
  async stop(): Promise<void> {
    await Promise.allSettled([...this.handles.values()].map((h) => h.stop()));
    this.handles.clear();
    this.sourceOutages.clear();
  }

  /** Commit a captured batch to the inbox with its checkpoint; the source may be acknowledged after this returns. */
  commitCaptured(systemId: string, batch: CapturedBatch): { stored: number; duplicates: number; echoes: number } {
    const { ctx } = this;
    ctx.hooks.step?.('capture:before-commit');
    const now = ctx.clock.now();
    const result = commitCapturedBatch(ctx.store, ctx.flowId, this.opts.routes, ctx.runtimeOrigin, systemId, batch, now);
    this.captured(systemId, result, batch.notices ?? [], now);
    ctx.hooks.step?.('capture:after-commit');
    if (result.stored > 0) this.opts.kick();
    return { stored: result.stored, duplicates: result.duplicates, echoes: result.echoes };
  }

  /** True while the inbox holds more than its bound: capture should stop taking changes. */
  inboxFull(): boolean {
    const now = performance.now();
    if (now - this.inboxCount.at >= INBOX_CHECK_MS) this.inboxCount = { at: now, n: this.ctx.store.inbox.pending(this.ctx.flowId) };
    return this.inboxCount.n >= this.opts.maxInboxRows;
  }

  /** The outage of a source whose capture cannot reach it, if any. */
  outage(systemId: string): Outage | undefined {
    return this.sourceOutages.get(systemId);
  }

  /** What the engine learns from a committed capture batch, wherever it was committed. */
  private captured(systemId: string, result: CaptureCommitResult, notices: readonly string[], now: number): void {
    if (result.sawOwnOrigin) this.opts.taggingSystems.add(systemId);
    for (const [k, n] of result.echoCounts) {
      const [syncId, direction] = k.split('|') as [string, DirectionKey];
      this.ctx.metrics.count(syncId, direction, now, 'echoes', n);
    }
    for (const n of notices) this.ctx.notice(`${systemId}: ${n}`);
  }

  private async startOne(systemId: string, entities: string[], signal: AbortSignal): Promise<void> {
    const { ctx } = this;
    const connector = ctx.connectors.get(systemId);
    if (!connector) {
      this.systemErrors.set(systemId, `no connector for system "${systemId}"`);
      return;
    }
    try {
      const handle = await connector.startCapture({
        entities,
        checkpoint: ctx.store.checkpoints.get(ctx.flowId, systemId),
        readerId: `${ctx.flowId}:${systemId}`,
        signal,
        sink: async (batch) => {
          const { stored } = this.commitCaptured(systemId, batch);
          if (batch.durable) {
            this.lastAckedCapture = performance.now();
            await ctx.store.durable();
          }
          // Back-pressure: a capture that reads at its own pace waits here until the inbox has
          // room (one batch past the bound at most). A receiver whose sender waits for the answer
          // (durable batches) must not be held: it asks inboxFull() first and answers 503.
          else {
            this.leadRows += stored;
            if (this.inboxFull()) await this.room();
            await this.keepPace();
          }
        },
        durable: () => ctx.store.durable(),
        inboxFull: () => this.inboxFull(),
        deliveries: { find: (id, contentHash, nowMs) => ctx.store.seenDeliveries.find(ctx.flowId, systemId, id, contentHash, nowMs) },
        reportStatus: (status) => this.systemDetail.set(systemId, status),
        reportAvailability: (problem) => this.sourceAvailability(systemId, problem),
      });
      if (!this.opts.isRunning() || signal.aborted) {
        // Stopped while capture was starting.
        await handle.stop();
        return;
      }
      this.handles.set(systemId, handle);
      this.systemErrors.set(systemId, null);
    } catch (e) {
      this.systemErrors.set(systemId, (e as Error).message);
      ctx.notice(`capture of "${systemId}" failed to start: ${(e as Error).message}`);
    }
  }

  /** Resolves once the inbox is below its bound (or the flow stops): how capture that reads at its own pace is held back. */
  private async room(): Promise<void> {
    let warned = false;
    while (this.opts.isRunning() && this.inboxFull()) {
      if (!warned) {
        this.ctx.notice(`the inbox holds ${this.inboxCount.n} changes (bound ${this.opts.maxInboxRows}): capture waits until the targets catch up`);
        warned = true;
      }
      await new Promise((r) => setTimeout(r, ROOM_POLL_MS));
    }
  }

  /** Wait for apply batches while capture is LEAD_ROWS or more ahead of apply (never while apply is idle). */
  private async keepPace(): Promise<void> {
    for (;;) {
      const settledNow = this.opts.settledRows?.() ?? 0;
      this.leadRows = Math.max(0, this.leadRows - (settledNow - this.seenSettled));
      this.seenSettled = settledNow;
      if (this.leadRows < LEAD_ROWS || !this.opts.isRunning()) return;
      const settled = this.opts.batchSettled?.();
      if (!settled) return;
      await settled;
    }
  }

  /** A capture connector says whether its source is reachable (null: it is again). */
  private sourceAvailability(systemId: string, problem: { message: string; retryInMs?: number } | null): void {
    const { ctx } = this;
    const now = ctx.clock.now();
    const prev = this.sourceOutages.get(systemId);
    if (!problem) {
      if (prev) {
        this.sourceOutages.delete(systemId);
        ctx.notice(`${ctx.systemName(systemId)} reachable again after ${Math.round((now - prev.since) / 1000)} s; capture resumed`);
      }
      return;
    }
    const outage: Outage = { since: prev?.since ?? now, retryAt: now + (problem.retryInMs ?? 0), failures: (prev?.failures ?? 0) + 1, message: problem.message };
    this.sourceOutages.set(systemId, outage);
    if (!prev) ctx.notice(`${unreachableText(ctx.systemName(systemId), outage, now)}: ${problem.message}`);
    this.opts.onActivity?.();
  }
}
