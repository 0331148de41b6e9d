import { applyWaitMs } from './apply-yield.js';
import type { EngineContext } from './engine-context.js';
import { BUCKET_MS } from './metrics-recorder.js';

export interface BatchOutcome {
  /** Rows whose fate was settled (applied, skipped, dead-lettered, rescheduled). */
  settled: number;
  /** Rows left for the next batch because another change in this batch touched the same record. */
  deferred: number;
}

export interface ApplyLoopOptions {
  isRunning: () => boolean;
  processBatch: () => Promise<BatchOutcome>;
  housekeeping: () => void;
  /** When a captured batch whose sender waits for our answer was last committed (performance.now()). */
  lastAckedCapture: () => number;
  /** See FlowEngineOptions.applyYieldMs. */
  yieldMs: number;
}

/**
 * Runs batches while there is work: on a kick (next event-loop turn), when a row's retry is due, when
 * a paused target is due for a probe, and every metrics bucket for housekeeping. An error in a batch
 * is kept as the flow's error and retried a second later; it never stops the loop for good.
 */
export class ApplyLoop {
  /** The last batch's error, until a batch succeeds. */
  fatal: string | null = null;
  private draining: Promise<void> | null = null;
  private drainAgain = false;
  private wakeTimer: NodeJS.Timeout | null = null;
  /** Until discovery settles, applying waits (see FlowEngineOptions.discovery). */
  private discovered: Promise<void> | null = null;
  private abort = new AbortController();
  /** Rows settled by this loop's batches so far: how capture measures how far it is ahead. */
  settledRows = 0;
  /** Resolved when the batch in flight is settled (or the loop stops): capture that runs ahead waits on it. */
  private batchEnd: { promise: Promise<void>; resolve: () => void } | null = null;

  constructor(private readonly ctx: EngineContext, private readonly opts: ApplyLoopOptions) {}

  /** A new run: batches wait for `discovery` (if any) before their first apply. */
  begin(discovery: Promise<void> | null): AbortSignal {
    this.fatal = null;
    this.abort = new AbortController();
    this.discovered = discovery;
    return this.abort.signal;
  }

  /** Stop waking up (and stop waiting for discovery); the batch in flight, if any, goes on. */
  halt(): void {
    this.abort.abort();
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = null;
  }

  /** Resolves once the batch in flight (if any) is settled. */
  async idle(): Promise<void> {
    await this.draining;
  }

  /**
   * Resolves when the batch now in flight is settled, or null when none is: how a capture that has
   * run ahead of apply waits without a timer. Never waits on an idle loop, so a paused target (no
   * batch runs) never holds capture back.
   */
  batchSettled(): Promise<void> | null {
    if (!this.draining) return null;
    if (!this.batchEnd) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.batchEnd = { promise, resolve };
    }
    return this.batchEnd.promise;
  }

  private releaseBatchWaiters(): void {
    const end = this.batchEnd;
    this.batchEnd = null;
    end?.resolve();
  }

  /** Ask the loop to run on the next event-loop turn (not a timer: a timer adds its delay to every change's lag). */
  kick(): void {
    if (!this.opts.isRunning()) return;
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.draining = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.drain());
  }

  private async drain(): Promise<void> {
    const running = this.opts.isRunning;
    try {
      for (;;) {
        this.drainAgain = false;
        if (!running()) break;
        if (this.discovered) {
          // A stop must not wait for a system that does not answer discovery.
          const stopped = this.abort.signal;
          await Promise.race([this.discovered, new Promise((r) => stopped.addEventListener('abort', r, { once: true }))]);
          if (!running()) break;
          this.discovered = null;
        }
        await this.yieldToCapture();
        if (!running()) break;
        let outcome: BatchOutcome;
        try {
          outcome = await this.opts.processBatch();
          this.settledRows += outcome.settled;
        } finally {
          this.releaseBatchWaiters();
        }
        const { settled, deferred } = outcome;
        if (settled === 0 && deferred === 0 && !this.drainAgain) break;
        // A batch against a synchronous target (SQLite) settles in microtasks only: without a turn of
        // the event loop here, a backlog would starve timers and sockets until it is drained (the
        // API, webhook receivers, capture polls: seconds to minutes after a restart).
        await new Promise((r) => setImmediate(r));
      }
      this.fatal = null;
    } catch (e) {
      this.fatal = (e as Error).message;
      this.ctx.log('error', `apply loop error: ${(e as Error).stack ?? e}`);
    } finally {
      this.draining = null;
      this.releaseBatchWaiters();
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
      const wait = applyWaitMs(performance.now(), this.opts.lastAckedCapture(), since, this.opts.yieldMs);
      if (wait <= 0) return;
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  private armTimer(): void {
    if (!this.opts.isRunning()) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    const now = this.ctx.clock.now();
    const wake = this.fatal ? now + 1000 : this.ctx.store.inbox.nextWake(this.ctx.flowId, now);
    const probe = this.ctx.breakers.nextProbe();
    const next = probe === null ? wake : Math.min(wake ?? Infinity, probe);
    // Periodic wake-up also keeps metrics and housekeeping flowing when idle.
    const at = Math.min(next ?? Infinity, now + BUCKET_MS);
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = null;
      this.opts.housekeeping();
      this.kick();
    }, Math.max(0, at - now));
    this.wakeTimer.unref?.();
  }
}
