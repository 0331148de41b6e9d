import pg from 'pg';
import type { TableInfo } from './catalog.js';
import { clientConfig, type PostgresConfig } from './config.js';
import { RUNTIME_ORIGIN_PREFIX } from '../../../../shared/events.js';
import { captureResourceNames, quoteIdent, writeOriginName } from './names.js';

/** The publication and logical replication slot one capture owns, and their upkeep. */

export async function ensurePublication(client: pg.ClientBase, name: string, tables: TableInfo[], serverVersion: number): Promise<void> {
  const list = tables.map((t) => `${quoteIdent(t.schema)}.${quoteIdent(t.table)}`).join(', ');
  const existing = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [name]);
  if (existing.rowCount === 0) {
    // Changes to a partitioned table arrive under its own name, not its partitions' (Postgres 13+).
    const viaRoot = serverVersion >= 130000 ? ', publish_via_partition_root = true' : '';
    await client.query(`CREATE PUBLICATION ${quoteIdent(name)} FOR TABLE ${list} WITH (publish = 'insert, update, delete, truncate'${viaRoot})`);
  } else {
    // The flow may now read other tables; a table added here streams from now on (no backfill).
    await client.query(`ALTER PUBLICATION ${quoteIdent(name)} SET TABLE ${list}`);
  }
}

export interface SlotRow {
  active: boolean;
  activePid: number | null;
  confirmedFlushLsn: string | null;
  restartLsn: string | null;
}

export async function readSlot(client: pg.ClientBase, slot: string): Promise<SlotRow | null> {
  const res = await client.query<{ active: boolean; active_pid: number | null; confirmed_flush_lsn: string | null; restart_lsn: string | null }>(
    'SELECT active, active_pid, confirmed_flush_lsn::text, restart_lsn::text FROM pg_replication_slots WHERE slot_name = $1',
    [slot],
  );
  const row = res.rows[0];
  return row ? { active: row.active, activePid: row.active_pid, confirmedFlushLsn: row.confirmed_flush_lsn, restartLsn: row.restart_lsn } : null;
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Drop our slot. A slot stays active for a moment after its walsender's client goes away, so wait
 * for that; a slot still held after that by one of our own earlier sessions is ended.
 */
export async function dropSlot(client: pg.ClientBase, slot: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const row = await readSlot(client, slot);
    if (!row) return;
    if (!row.active) {
      await client.query('SELECT pg_drop_replication_slot($1)', [slot]);
      return;
    }
    if (attempt === 20 && row.activePid !== null) {
      await client.query(`SELECT pg_terminate_backend($1) FROM pg_stat_activity WHERE pid = $1 AND application_name = 'synccanvas'`, [row.activePid]);
    }
    if (attempt > 40) throw new Error(`replication slot "${slot}" is in use by process ${row.activePid}; stop the other reader of this slot and try again`);
    await sleep(100);
  }
}

export interface CreatedSlot {
  consistentPoint: string;
  /** The exported snapshot, valid only while the replication connection that created it stays idle and open. */
  snapshotName: string | null;
}

export async function createSlot(replication: pg.Client, slot: string, exportSnapshot: boolean): Promise<CreatedSlot> {
  const res = await replication.query<{ consistent_point: string; snapshot_name: string | null }>(
    `CREATE_REPLICATION_SLOT ${quoteIdent(slot)} LOGICAL pgoutput ${exportSnapshot ? 'EXPORT_SNAPSHOT' : 'NOEXPORT_SNAPSHOT'}`,
  );
  const row = res.rows[0];
  if (!row) throw new Error(`creating replication slot "${slot}" returned nothing`);
  return { consistentPoint: row.consistent_point, snapshotName: row.snapshot_name };
}

export interface SlotStatus {
  slot: string;
  /** WAL the server keeps for this slot (bytes from restart_lsn to the current WAL position). */
  walRetainedBytes: number;
  /** WAL written since the last position we confirmed. */
  walBehindBytes: number;
  walStatus: string | null;
  active: boolean;
}

export async function readSlotStatus(client: pg.ClientBase, slot: string): Promise<SlotStatus | null> {
  const res = await client.query<{ retained: string | null; behind: string | null; wal_status: string | null; active: boolean }>(
    `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::text AS retained,
            pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::text AS behind,
            wal_status, active
       FROM pg_replication_slots WHERE slot_name = $1`,
    [slot],
  );
  const row = res.rows[0];
  if (!row) return null;
  return {
    slot,
    walRetainedBytes: Number(row.retained ?? 0),
    walBehindBytes: Number(row.behind ?? 0),
    walStatus: row.wal_status,
    active: row.active,
  };
}

export interface CaptureResourceTarget {
  config: PostgresConfig;
  password: string | undefined;
  flowId: string;
  systemId: string;
}

/**
 * Remove what a capture left on the user's server: its replication slot (which otherwise keeps
 * WAL forever) and its publication. Called when a flow or its system is deleted. Safe to repeat.
 */
export async function dropCaptureResources(target: CaptureResourceTarget): Promise<{ slotDropped: boolean; publicationDropped: boolean; originDropped: boolean }> {
  const names = captureResourceNames(target.flowId, target.systemId);
  const client = new pg.Client(clientConfig(target.config, target.password));
  client.on('error', () => {});
  await client.connect();
  try {
    const hadSlot = (await readSlot(client, names.slot)) !== null;
    await dropSlot(client, names.slot);
    const pub = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [names.publication]);
    if (pub.rowCount) await client.query(`DROP PUBLICATION IF EXISTS ${quoteIdent(names.publication)}`);
    // The origin our writes into this system carried (see writer.ts); left alone while a session holds it.
    const origin = writeOriginName(`${RUNTIME_ORIGIN_PREFIX}${target.flowId}@${target.systemId}`);
    const dropped = await client
      .query(
        'SELECT pg_replication_origin_drop(roname) FROM pg_replication_origin WHERE roname = $1',
        [origin],
      )
      .then((r) => (r.rowCount ?? 0) > 0)
      .catch(() => false);
    return { slotDropped: hadSlot, publicationDropped: (pub.rowCount ?? 0) > 0, originDropped: dropped };
  } finally {
    await client.end().catch(() => {});
  }
}
