import type Database from 'better-sqlite3';

/**
 * Numbered schema steps. `PRAGMA user_version` records how many have run; each step runs in its
 * own transaction with the version bump, so a crash mid-migration leaves the previous version intact.
 */
export const STORE_MIGRATIONS: readonly string[] = [
  // 1: the whole first schema.
  `
  CREATE TABLE flows (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    doc TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    running INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE dedupe_keys (
    flow_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    seen_at INTEGER NOT NULL,
    PRIMARY KEY (flow_id, event_id)
  ) WITHOUT ROWID;
  CREATE INDEX dedupe_keys_age ON dedupe_keys(seen_at);
  CREATE TABLE inbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    flow_id TEXT NOT NULL,
    sync_id TEXT NOT NULL,
    direction TEXT NOT NULL,
    event_id TEXT NOT NULL,
    system TEXT NOT NULL,
    entity TEXT NOT NULL,
    key TEXT NOT NULL,
    op TEXT NOT NULL,
    fields TEXT NOT NULL,
    source_time REAL NOT NULL,
    capture_time REAL NOT NULL,
    origin TEXT NOT NULL,
    version REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before REAL NOT NULL,
    last_error TEXT,
    first_failed_at REAL,
    replay INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX inbox_ready ON inbox(flow_id, not_before, seq);
  CREATE INDEX inbox_route_key ON inbox(flow_id, sync_id, direction, key, seq);
  CREATE TABLE checkpoints (
    flow_id TEXT NOT NULL,
    system TEXT NOT NULL,
    position TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (flow_id, system)
  ) WITHOUT ROWID;
  CREATE TABLE shadows (
    flow_id TEXT NOT NULL,
    system TEXT NOT NULL,
    entity TEXT NOT NULL,
    key TEXT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (flow_id, system, entity, key)
  ) WITHOUT ROWID;
  CREATE TABLE links (
    flow_id TEXT NOT NULL,
    sync_id TEXT NOT NULL,
    a_key TEXT NOT NULL,
    b_key TEXT NOT NULL,
    linked_at INTEGER NOT NULL,
    PRIMARY KEY (flow_id, sync_id, a_key)
  ) WITHOUT ROWID;
  CREATE UNIQUE INDEX links_b ON links(flow_id, sync_id, b_key);
  CREATE TABLE tombstones (
    flow_id TEXT NOT NULL,
    system TEXT NOT NULL,
    entity TEXT NOT NULL,
    key TEXT NOT NULL,
    deleted_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    by_sync INTEGER NOT NULL,
    PRIMARY KEY (flow_id, system, entity, key)
  ) WITHOUT ROWID;
  CREATE INDEX tombstones_expiry ON tombstones(expires_at);
  CREATE TABLE dlq (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    flow_id TEXT NOT NULL,
    sync_id TEXT NOT NULL,
    direction TEXT NOT NULL,
    event_id TEXT NOT NULL,
    source_system TEXT NOT NULL,
    target_system TEXT NOT NULL,
    entity TEXT NOT NULL,
    key TEXT NOT NULL,
    error_class TEXT NOT NULL,
    message TEXT NOT NULL,
    response TEXT,
    attempts INTEGER NOT NULL,
    first_failed_at REAL NOT NULL,
    last_failed_at REAL NOT NULL,
    event TEXT NOT NULL,
    payload TEXT,
    detail TEXT
  );
  CREATE INDEX dlq_filter ON dlq(flow_id, sync_id, error_class, last_failed_at);
  CREATE TABLE edge_counters (
    flow_id TEXT NOT NULL,
    sync_id TEXT NOT NULL,
    direction TEXT NOT NULL,
    applied INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    conflicts INTEGER NOT NULL DEFAULT 0,
    echoes INTEGER NOT NULL DEFAULT 0,
    violations INTEGER NOT NULL DEFAULT 0,
    tombstones INTEGER NOT NULL DEFAULT 0,
    stale INTEGER NOT NULL DEFAULT 0,
    last_applied_at REAL,
    PRIMARY KEY (flow_id, sync_id, direction)
  ) WITHOUT ROWID;
  CREATE TABLE metrics (
    flow_id TEXT NOT NULL,
    sync_id TEXT NOT NULL,
    direction TEXT NOT NULL,
    t INTEGER NOT NULL,
    events INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    conflicts INTEGER NOT NULL,
    echoes INTEGER NOT NULL,
    lag_p50 REAL,
    lag_p95 REAL,
    lag_p99 REAL,
    lag_hist TEXT,
    dlq_depth INTEGER NOT NULL,
    PRIMARY KEY (flow_id, sync_id, direction, t)
  ) WITHOUT ROWID;
  CREATE TABLE unknown_fields (
    flow_id TEXT NOT NULL,
    system TEXT NOT NULL,
    entity TEXT NOT NULL,
    field TEXT NOT NULL,
    first_seen REAL NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (flow_id, system, entity, field)
  ) WITHOUT ROWID;
  `,
  // 2: a one-row table whose FULL-synchronous update is the durability barrier (see Store.syncToDisk).
  `
  CREATE TABLE durability (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL);
  INSERT INTO durability (id, at) VALUES (1, 0);
  `,
  // 3: operations — discarded DLQ entries kept for an undo window, the last applied events per edge
  // (what-if previews), go-live records (overrides with their reason) and alert thresholds per edge.
  `
  CREATE TABLE dlq_discarded (
    id INTEGER PRIMARY KEY,
    discarded_at REAL NOT NULL,
    entry TEXT NOT NULL
  );
  CREATE INDEX dlq_discarded_at ON dlq_discarded(discarded_at);
  CREATE TABLE edge_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    flow_id TEXT NOT NULL,
    sync_id TEXT NOT NULL,
    direction TEXT NOT NULL,
    applied_at REAL NOT NULL,
    event TEXT NOT NULL
  );
  CREATE INDEX edge_history_edge ON edge_history(flow_id, sync_id, direction, id);
  CREATE TABLE go_live_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    flow_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    override INTEGER NOT NULL,
    reason TEXT,
    failed TEXT NOT NULL
  );
  CREATE INDEX go_live_log_flow ON go_live_log(flow_id, id);
  CREATE TABLE alert_thresholds (
    flow_id TEXT NOT NULL,
    sync_id TEXT NOT NULL,
    thresholds TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (flow_id, sync_id)
  ) WITHOUT ROWID;
  `,
  // 4: the apply loop reads a flow's inbox in seq order; without this index SQLite read and sorted the
  // whole backlog for every batch (O(backlog) per batch under load).
  `
  CREATE INDEX inbox_flow_seq ON inbox(flow_id, seq);
  `,
  // 5: per-record order across failures. A failed change in the DLQ holds its record's later changes
  // in the inbox (looked up per inbox row by this index), and remembers its inbox position so a
  // replay goes back in ahead of them.
  `
  ALTER TABLE dlq ADD COLUMN inbox_seq INTEGER;
  CREATE INDEX dlq_record ON dlq(flow_id, sync_id, direction, key);
  `,
  // 6: a shared runtime (synccanvas serve): people's API tokens with their roles (only a SHA-256 of
  // each token is kept) and the audit log of every mutating call.
  `
  CREATE TABLE api_users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'editor', 'admin')),
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    who TEXT NOT NULL,
    role TEXT NOT NULL,
    method TEXT NOT NULL,
    target TEXT NOT NULL,
    reason TEXT,
    ok INTEGER NOT NULL,
    error TEXT
  );
  `,
  // 7: the keys a full read of a source (initial snapshot) has seen so far, to reconcile deletes
  // when it ends; one running read per flow and system.
  `
  CREATE TABLE snapshot_runs (
    flow_id TEXT NOT NULL,
    system TEXT NOT NULL,
    snapshot_id TEXT NOT NULL,
    PRIMARY KEY (flow_id, system)
  ) WITHOUT ROWID;
  CREATE TABLE snapshot_keys (
    flow_id TEXT NOT NULL,
    system TEXT NOT NULL,
    entity TEXT NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (flow_id, system, entity, key)
  ) WITHOUT ROWID;
  CREATE TABLE snapshot_candidates (
    flow_id TEXT NOT NULL,
    system TEXT NOT NULL,
    entity TEXT NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (flow_id, system, entity, key)
  ) WITHOUT ROWID;
  `,
  // 8: accepted webhook deliveries per system, kept while a replay of them could still pass the
  // signature checks, so replay protection survives a restart (store/seen-deliveries.ts).
  `
  CREATE TABLE webhook_deliveries (
    flow_id TEXT NOT NULL,
    system TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    signed_at INTEGER,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (flow_id, system, delivery_id)
  ) WITHOUT ROWID;
  CREATE INDEX webhook_deliveries_content ON webhook_deliveries(flow_id, system, content_hash, expires_at);
  CREATE INDEX webhook_deliveries_expiry ON webhook_deliveries(expires_at);
  `,
  // 9: customer data at rest. A DLQ entry's event is sealed (store/data-cipher.ts), so the version
  // that decides which later changes it holds back (store/record-hold.ts) gets a column of its own;
  // the applied-at index lets retention purge old applied events without a scan.
  `
  ALTER TABLE dlq ADD COLUMN event_version REAL;
  UPDATE dlq SET event_version = json_extract(event, '$.version') WHERE json_valid(event);
  CREATE INDEX edge_history_applied ON edge_history(applied_at);
  `,
  // 10: a shadow's large field values (a 20 KB text) live in rows of their own, written only when
  // the value changes: most changes leave such a column alone (unchanged TOAST in Postgres), and
  // rewriting it with every shadow was most of the cost of a change on wide rows. A rowid table:
  // SQLite advises against WITHOUT ROWID for rows this large.
  `
  CREATE TABLE shadow_values (
    flow_id TEXT NOT NULL,
    system TEXT NOT NULL,
    entity TEXT NOT NULL,
    key TEXT NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    UNIQUE (flow_id, system, entity, key, field)
  );
  `,
  // 11: tokens that read one AI feed's output and nothing else (docs/ai-feeds.md#serving-a-feed).
  `
  CREATE TABLE feed_tokens (
    name TEXT PRIMARY KEY,
    flow_id TEXT NOT NULL,
    sync_id TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
  );
  `,
  // 12: the last change position committed per flow and source, for sources whose changes carry a
  // strictly growing position (Postgres: commit LSN and index): redeliveries are dropped by it
  // instead of by a dedupe_keys row per change (store/capture-positions.ts).
  `
  CREATE TABLE capture_positions (
    flow_id TEXT NOT NULL,
    system TEXT NOT NULL,
    position TEXT NOT NULL,
    PRIMARY KEY (flow_id, system)
  ) WITHOUT ROWID;
  `,
];

export function migrate(db: Database.Database, steps: readonly string[] = STORE_MIGRATIONS): { from: number; to: number } {
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > steps.length) {
    throw new Error(`this workspace was written by a newer SyncCanvas (store version ${from}, this build knows ${steps.length}): update SyncCanvas to open it`);
  }
  for (let v = from; v < steps.length; v++) {
    db.transaction(() => {
      db.exec(steps[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return { from, to: steps.length };
}
