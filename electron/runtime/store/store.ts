import type { Db } from './database.js';
import { openStoreDatabase } from './database.js';
import { InboxRepo } from './inbox.js';
import { CheckpointRepo } from './checkpoints.js';
import { ShadowRepo } from './shadows.js';
import { LinkRepo } from './links.js';
import { TombstoneRepo } from './tombstones.js';
import { DlqRepo } from './dlq.js';
import { CounterRepo } from './counters.js';
import { MetricsRepo } from './metrics.js';
import { UnknownFieldRepo } from './unknown-fields.js';
import { FlowRepo } from './flows.js';
import { DurabilityBarrier } from './durability-barrier.js';
import { WalCheckpointer } from './wal-checkpointer.js';
import { DlqDiscardRepo } from './dlq-discards.js';
import { EdgeHistoryRepo } from './edge-history.js';
import { GoLiveRepo } from './operations-log.js';
import { AlertThresholdRepo } from './alert-thresholds.js';
import { ApiUserRepo } from './api-users.js';
import { FeedTokenRepo } from './feed-tokens.js';
import { AuditLogRepo } from './audit-log.js';
import { SnapshotKeyRepo } from './snapshot-keys.js';
import { SeenDeliveryRepo } from './seen-deliveries.js';
import { CapturePositionRepo } from './capture-positions.js';
import { DataCipher, SEALED_PREFIXES } from './data-cipher.js';

/** The workspace store: one better-sqlite3 connection, prepared statements grouped by concept. */
export class Store {
  readonly inbox: InboxRepo;
  readonly checkpoints: CheckpointRepo;
  readonly shadows: ShadowRepo;
  readonly links: LinkRepo;
  readonly tombstones: TombstoneRepo;
  readonly dlq: DlqRepo;
  readonly counters: CounterRepo;
  readonly metrics: MetricsRepo;
  readonly unknownFields: UnknownFieldRepo;
  readonly flows: FlowRepo;
  readonly dlqDiscards: DlqDiscardRepo;
  readonly history: EdgeHistoryRepo;
  readonly goLive: GoLiveRepo;
  readonly alerts: AlertThresholdRepo;
  readonly users: ApiUserRepo;
  readonly feedTokens: FeedTokenRepo;
  readonly audit: AuditLogRepo;
  readonly snapshotKeys: SnapshotKeyRepo;
  readonly seenDeliveries: SeenDeliveryRepo;
  readonly capturePositions: CapturePositionRepo;
  /** Seals customer values at rest once the workspace's data key is set (runtime.ts, cli.ts). */
  readonly cipher = new DataCipher();

  private readonly synchronous: string;
  // Prepared once: relaxed commits switch the mode twice per transaction, on the hot path.
  private readonly syncNormal;
  private readonly syncFull;

  constructor(readonly db: Db) {
    this.synchronous = String(db.pragma('synchronous', { simple: true })) === '2' ? 'FULL' : 'OTHER';
    this.syncNormal = db.prepare('PRAGMA synchronous = NORMAL');
    this.syncFull = db.prepare('PRAGMA synchronous = FULL');
    this.inbox = new InboxRepo(db, this.cipher);
    this.checkpoints = new CheckpointRepo(db);
    this.shadows = new ShadowRepo(db, this.cipher);
    this.links = new LinkRepo(db);
    this.tombstones = new TombstoneRepo(db);
    this.dlq = new DlqRepo(db, this.cipher);
    this.counters = new CounterRepo(db);
    this.metrics = new MetricsRepo(db);
    this.unknownFields = new UnknownFieldRepo(db);
    this.flows = new FlowRepo(db);
    this.dlqDiscards = new DlqDiscardRepo(db);
    this.history = new EdgeHistoryRepo(db, this.cipher);
    this.goLive = new GoLiveRepo(db);
    this.alerts = new AlertThresholdRepo(db);
    this.users = new ApiUserRepo(db);
    this.feedTokens = new FeedTokenRepo(db);
    this.audit = new AuditLogRepo(db);
    this.snapshotKeys = new SnapshotKeyRepo(db);
    this.seenDeliveries = new SeenDeliveryRepo(db);
    this.capturePositions = new CapturePositionRepo(db);
  }

  /** Whether any customer value is stored sealed (a new data key would leave it unreadable). */
  hasSealedData(): boolean {
    const stmt = this.db.prepare('SELECT 1 FROM shadows WHERE state LIKE ? UNION ALL SELECT 1 FROM shadow_values WHERE value LIKE ? UNION ALL SELECT 1 FROM dlq WHERE event LIKE ? UNION ALL SELECT 1 FROM edge_history WHERE event LIKE ? UNION ALL SELECT 1 FROM inbox WHERE fields LIKE ? LIMIT 1');
    return SEALED_PREFIXES.some((prefix) => {
      const sealed = `${prefix}%`;
      return stmt.get(sealed, sealed, sealed, sealed, sealed) !== undefined;
    });
  }

  private barrier: DurabilityBarrier | null = null;
  private checkpointer: WalCheckpointer | null = null;

  static open(path: string, opts?: { synchronous?: 'FULL' | 'NORMAL' }): Store {
    const store = new Store(openStoreDatabase(path, opts));
    if (path !== ':memory:') {
      if (store.synchronous === 'FULL') store.barrier = new DurabilityBarrier(path);
      store.checkpointer = new WalCheckpointer(path, {
        onFailure: () => {
          if (store.db.open) store.db.pragma('wal_autocheckpoint = 1000');
        },
      });
      store.db.pragma('wal_autocheckpoint = 0');
    }
    return store;
  }

  /**
   * Run fn in one SQLite transaction; a throw rolls everything back, cached values included.
   * `relaxed`: the commit need not reach the disk before returning (synchronous=NORMAL). Right for
   * what can be redone: an apply batch lost to a power cut is still pending in the inbox and is
   * re-applied idempotently. Capture commits stay FULL: the source is acknowledged after them.
   */
  transaction<T>(fn: () => T, opts: { relaxed?: boolean } = {}): T {
    if (this.db.inTransaction) {
      try {
        return this.db.transaction(fn)();
      } catch (e) {
        // The savepoint rolled back; the outer transaction may still commit without it.
        this.inbox.rolledBack();
        throw e;
      }
    }
    if (opts.relaxed && this.synchronous === 'FULL') {
      this.syncNormal.run();
      try {
        return this.transaction(fn);
      } finally {
        this.syncFull.run();
      }
    }
    const caches = [this.shadows.cache, this.links.cache];
    for (const c of caches) c.begin();
    try {
      // IMMEDIATE: take the write lock up front (waiting up to busy_timeout). A deferred transaction
      // that reads first and writes later fails at once with SQLITE_BUSY if another connection (the
      // durability barrier, a CLI command) committed in between.
      const out = this.db.transaction(fn).immediate();
      for (const c of caches) c.commit();
      this.inbox.committed();
      return out;
    } catch (e) {
      for (const c of caches) c.abort();
      this.inbox.rolledBack();
      throw e;
    }
  }

  /**
   * Make every transaction committed so far durable (on disk, through a power cut): one small
   * synchronous=FULL commit, which in WAL mode fsyncs the log with everything before it. Sources are
   * acknowledged only after this, so relaxed commits before it lose nothing a source won't resend.
   */
  syncToDisk(now: number): void {
    if (this.synchronous !== 'FULL') return;
    this.db.prepare('UPDATE durability SET at = ? WHERE id = 1').run(now);
  }

  /**
   * Make everything committed so far durable without blocking the event loop: the WAL file is
   * fdatasync'ed on a worker thread (DurabilityBarrier); a store without one (in memory, or opened
   * with synchronous=NORMAL) falls back to syncToDisk.
   */
  async durable(): Promise<void> {
    if (!this.db.open) throw new Error('the workspace is closed');
    if (this.barrier) return this.barrier.sync();
    this.syncToDisk(Date.now());
  }

  close(): void {
    void this.barrier?.close();
    this.barrier = null;
    void this.checkpointer?.close();
    this.checkpointer = null;
    if (this.db.open) this.db.close();
  }
}
