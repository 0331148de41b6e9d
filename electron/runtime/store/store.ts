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

  constructor(readonly db: Db) {
    this.inbox = new InboxRepo(db);
    this.checkpoints = new CheckpointRepo(db);
    this.shadows = new ShadowRepo(db);
    this.links = new LinkRepo(db);
    this.tombstones = new TombstoneRepo(db);
    this.dlq = new DlqRepo(db);
    this.counters = new CounterRepo(db);
    this.metrics = new MetricsRepo(db);
    this.unknownFields = new UnknownFieldRepo(db);
    this.flows = new FlowRepo(db);
  }

  static open(path: string, opts?: { synchronous?: 'FULL' | 'NORMAL' }): Store {
    return new Store(openStoreDatabase(path, opts));
  }

  /** Run fn in one SQLite transaction; a throw rolls everything back. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
