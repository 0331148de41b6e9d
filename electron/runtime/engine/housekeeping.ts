import { DEFAULT_RETENTION_MS, purgeAppliedPayloads } from '../store/retention.js';
import type { BatchSettler } from './batch-settle.js';
import type { EngineContext } from './engine-context.js';

const PRUNE_EVERY_MS = 60 * 60_000;
const DEDUPE_KEEP_MS = 14 * 24 * 60 * 60_000;
const METRICS_KEEP_MS = 30 * 24 * 60 * 60_000;

/**
 * Keeps a flow's part of the store bounded and its telemetry current: writes held history and
 * metrics, prunes old event ids, metrics, tombstones and webhook deliveries hourly, and purges
 * applied customer values past the retention window.
 */
export class Housekeeper {
  private lastPrune = 0;
  private lastRetention = 0;

  constructor(private readonly ctx: EngineContext, private readonly settler: BatchSettler, private readonly retentionMs = DEFAULT_RETENTION_MS) {}

  run(): void {
    const { store } = this.ctx;
    const now = this.ctx.clock.now();
    store.transaction(() => {
      this.settler.writeTelemetry(now);
      if (now - this.lastPrune >= PRUNE_EVERY_MS) {
        // Bounded growth: event ids outlive any source's redelivery (webhook senders retry for days),
        // metrics are kept for the dashboard's longest range, tombstones until their TTL.
        store.inbox.pruneSeen(now - DEDUPE_KEEP_MS);
        store.metrics.prune(now - METRICS_KEEP_MS);
        store.tombstones.expire(now);
        store.seenDeliveries.prune(now);
        this.lastPrune = now;
      }
      // Applied payloads are purged on a cadence of their own: a short window (a test, a strict
      // policy) must not wait for the hourly prune.
      if (now - this.lastRetention >= Math.min(PRUNE_EVERY_MS, Math.max(1000, this.retentionMs / 4))) {
        purgeAppliedPayloads(store, now, this.retentionMs);
        this.lastRetention = now;
      }
    }, { relaxed: true });
  }
}
