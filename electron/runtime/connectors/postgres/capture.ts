import pg from 'pg';
import type { CaptureContext, CaptureHandle, SnapshotMark } from '../types.js';
import { readArrayElementTypes, readTables, type TableInfo } from './catalog.js';
import { createSlot, dropSlot, ensurePublication, readSlot } from './capture-resources.js';
import { clientConfig, type PostgresConfig } from './config.js';
import { isLsn, parseLsn } from './lsn.js';
import { captureResourceNames, type CaptureResourceNames } from './names.js';
import { SlotStream } from './slot-stream.js';
import { readSnapshot } from './snapshot.js';
import type { ArrayElementTypes } from './type-mapping.js';

export interface CaptureSetup {
  config: PostgresConfig;
  password: string | undefined;
  flowId: string;
  systemId: string;
}

/** Checkpoints written while the initial snapshot is still being copied. */
const SNAPSHOT_CHECKPOINT_PREFIX = 'snapshot:';
const SNAPSHOT_BATCH_ROWS = 5_000;

/** Postgres 16 added the `origin` option that lets the server skip changes our writer tagged. */
const ORIGIN_FILTER_VERSION = 160000;

/**
 * Tables that cannot be captured faithfully, with the statement that fixes each. Without a
 * replica identity Postgres cannot say which row an UPDATE or DELETE touched; worse, adding such
 * a table to a publication makes the user's own UPDATEs and DELETEs on it fail.
 */
export function identityProblems(tables: TableInfo[]): string[] {
  const problems: string[] = [];
  for (const t of tables) {
    const name = `${t.schema}.${t.table}`;
    if (t.replicaIdentity === 'nothing') {
      problems.push(`Table ${name} has REPLICA IDENTITY NOTHING, so its updates and deletes cannot be captured: run ALTER TABLE ${name} REPLICA IDENTITY DEFAULT (with a primary key) or ALTER TABLE ${name} REPLICA IDENTITY FULL.`);
    } else if (t.replicaIdentity === 'default' && t.primaryKey.length === 0) {
      problems.push(`Table ${name} has no primary key, so Postgres cannot say which row an update or delete touched: add a primary key (ALTER TABLE ${name} ADD PRIMARY KEY (…)) or run ALTER TABLE ${name} REPLICA IDENTITY FULL.`);
    }
    // REPLICA IDENTITY FULL without a key is captured with the whole row as the record's identity.
  }
  return problems;
}

async function initialLoad(setup: CaptureSetup, ctx: CaptureContext, names: CaptureResourceNames, tables: TableInfo[], arrays: ArrayElementTypes, notices: string[]): Promise<string> {
  const replication = new pg.Client(clientConfig(setup.config, setup.password, { replication: 'database' } as Partial<pg.ClientConfig>));
  replication.on('error', () => {});
  await replication.connect();
  try {
    // The server's clock just before the consistent point: every change streamed after the snapshot
    // committed later, so the snapshot rows must not look newer than those changes (field-level
    // staleness compares source times). The local clock, read after the copy started, did.
    const clock = new pg.Client(clientConfig(setup.config, setup.password));
    clock.on('error', () => {});
    await clock.connect();
    let snapshotTime: number;
    try {
      snapshotTime = Number((await clock.query<{ t: number }>('SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS t')).rows[0]!.t);
    } finally {
      await clock.end().catch(() => {});
    }
    // Before the consistent point: records linked later may be our own writes made after it.
    const startedAt = Date.now();
    const created = await createSlot(replication, names.slot, setup.config.initialSnapshot);
    let snapshot: SnapshotMark | undefined;
    if (setup.config.initialSnapshot && created.snapshotName) {
      snapshot = { id: created.consistentPoint, entities: tables.map((t) => t.entity), sourceTime: Math.floor(snapshotTime), version: Number(parseLsn(created.consistentPoint)), startedAt };
      // The exported snapshot lives as long as `replication` stays open and idle, so it is held
      // until the copy is done.
      const reader = new pg.Client(clientConfig(setup.config, setup.password));
      reader.on('error', () => {});
      await reader.connect();
      try {
        await readSnapshot(reader, {
          systemId: setup.systemId,
          consistentPoint: created.consistentPoint,
          snapshotName: created.snapshotName,
          sourceTime: Math.floor(snapshotTime),
          tables,
          arrays,
          versionColumn: setup.config.versionColumn,
          batchSize: SNAPSHOT_BATCH_ROWS,
          signal: ctx.signal,
          onBatch: (changes) => ctx.sink({ changes, checkpoint: `${SNAPSHOT_CHECKPOINT_PREFIX}${created.consistentPoint}`, notices: notices.length ? notices.splice(0) : undefined, snapshot }),
        });
      } finally {
        await reader.end().catch(() => {});
      }
    }
    // Committing the consistent point ends the snapshot: from here the stream takes over. The runtime
    // deletes what an interrupted earlier snapshot (or a lost slot) left behind in the same commit.
    // A new slot (perhaps on another server, with lower LSNs) starts the change positions over.
    await ctx.sink({ changes: [], checkpoint: created.consistentPoint, positionsRestart: true, notices: notices.length ? notices.splice(0) : undefined, ...(snapshot ? { snapshot: { ...snapshot, done: true } } : {}) });
    return created.consistentPoint;
  } finally {
    await replication.end().catch(() => {});
  }
}

export async function startPostgresCapture(setup: CaptureSetup, ctx: CaptureContext): Promise<CaptureHandle> {
  if (ctx.entities.length === 0) return { stop: async () => {} };
  const names = captureResourceNames(setup.flowId, setup.systemId);
  const control = new pg.Client(clientConfig(setup.config, setup.password));
  control.on('error', () => {});
  await control.connect();
  let handedOver = false;
  try {
    const tables = await readTables(control, setup.config.schemas, ctx.entities);
    const found = new Set(tables.map((t) => t.entity));
    const missing = ctx.entities.filter((e) => !found.has(e));
    if (missing.length > 0) {
      throw new Error(`Table(s) ${missing.join(', ')} not found in schema(s) ${setup.config.schemas.join(', ')} of database ${setup.config.database}: check the entity names or the schemas setting.`);
    }
    const problems = identityProblems(tables);
    if (problems.length > 0) throw new Error(problems.join(' '));
    const version = Number((await control.query<{ server_version_num: string }>('SHOW server_version_num')).rows[0]?.server_version_num ?? 0);
    const arrays = await readArrayElementTypes(control);
    await ensurePublication(control, names.publication, tables, version);

    const notices: string[] = [];
    const slot = await readSlot(control, names.slot);
    let startLsn: string;
    if (ctx.checkpoint && isLsn(ctx.checkpoint) && slot) {
      startLsn = ctx.checkpoint;
    } else {
      if (ctx.checkpoint && isLsn(ctx.checkpoint)) {
        notices.push(`Replication slot ${names.slot} was missing (dropped on the server?), so changes made while it was gone cannot be streamed: all rows are read again by a new snapshot.`);
      } else if (ctx.checkpoint?.startsWith(SNAPSHOT_CHECKPOINT_PREFIX)) {
        notices.push('The initial snapshot was interrupted; it starts over (rows already copied are written again, idempotently, and rows deleted meanwhile are deleted in the target when it ends).');
      }
      if (slot) await dropSlot(control, names.slot);
      startLsn = await initialLoad(setup, ctx, names, tables, arrays, notices);
    }
    const stream = new SlotStream(
      {
        config: setup.config,
        password: setup.password,
        systemId: setup.systemId,
        names,
        tables,
        arrays,
        skipOriginChanges: version >= ORIGIN_FILTER_VERSION,
        control,
        ctx,
        notices,
      },
      startLsn,
    );
    stream.start();
    handedOver = true;
    return { stop: () => stream.stop() };
  } finally {
    if (!handedOver) await control.end().catch(() => {});
  }
}
